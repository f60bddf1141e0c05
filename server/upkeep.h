/* Periodic work of the event loop: ending pairs whose round is over, flagging stalled pairs, and
 * delivering webhooks (signed, retried with back-off) without ever blocking the loop. */
#ifndef TANDEM_UPKEEP_H
#define TANDEM_UPKEEP_H

struct server;
struct upkeep;

/* Starts the timers; caller frees with upkeep_free. */
struct upkeep *upkeep_new(struct server *srv) __attribute__((warn_unused_result));

/* Stops the timers; deliveries in flight are abandoned (their lease expires and they are retried).
 */
void upkeep_free(struct upkeep *u);

#endif
