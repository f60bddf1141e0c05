/* Every endpoint handler; each replies exactly once through request_reply_*. */
#ifndef TANDEM_HANDLERS_H
#define TANDEM_HANDLERS_H

#include "request.h"

/* health.c */
void health_live(struct request *r);
void health_ready(struct request *r);

/* employees.c */
void employees_signup(struct request *r);
void employees_list(struct request *r);
void employees_get(struct request *r);
void me_get(struct request *r);
void me_patch(struct request *r);
void me_delete(struct request *r);
void me_get_teaching(struct request *r);
void me_put_teaching(struct request *r);
void me_get_learning(struct request *r);
void me_put_learning(struct request *r);
void me_get_availability(struct request *r);
void me_put_availability(struct request *r);

/* skills.c */
void skills_list(struct request *r);
void skills_create(struct request *r);
void skills_patch(struct request *r);

/* rounds.c */
void rounds_create(struct request *r);
void rounds_list(struct request *r);
void rounds_get(struct request *r);
void rounds_patch(struct request *r);
void rounds_put_pins(struct request *r);
void rounds_put_forbidden(struct request *r);
void rounds_solve(struct request *r);
void rounds_publish(struct request *r);
void rounds_cancel(struct request *r);
void pairs_mine(struct request *r);
void pairs_invite(struct request *r);

#endif
