/* Every endpoint handler; each replies exactly once through request_reply_*. */
#ifndef TANDEM_HANDLERS_H
#define TANDEM_HANDLERS_H

#include "request.h"
#include "validate.h"

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
void me_export(struct request *r);
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

/* sessions.c */
void sessions_log(struct request *r);
void sessions_list(struct request *r);
void sessions_confirm(struct request *r);
void sessions_dispute(struct request *r);
void pairs_get(struct request *r);
void pairs_end(struct request *r);
void me_progress(struct request *r);

/* gamification.c */
void me_achievements(struct request *r);
void me_ledger(struct request *r);
void badges_list(struct request *r);
void badges_create(struct request *r);
void awards_revoke(struct request *r);
void leaderboards_get(struct request *r);
void activity_list(struct request *r);
void events_list(struct request *r);
void stats_get(struct request *r);

/* openbadges.c */
void ob_issuer(struct request *r);
void ob_badge(struct request *r);
void ob_badge_image(struct request *r);
void ob_assertion(struct request *r);

/* tokens.c */
void tokens_issue(struct request *r);
void tokens_revoke_current(struct request *r);
void tokens_revoke_all(struct request *r);

/* webhooks.c */
void webhooks_create(struct request *r);
void webhooks_list(struct request *r);
void webhooks_delete(struct request *r);

#endif
