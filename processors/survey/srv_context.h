/**
 * @file srv_context.h
 * @brief vigie-survey's keys in the feature store, declared to the batch
 *        store (vg_store). Every write is idempotent (members are response
 *        ids, hash fields are overwritten with the same values).
 *
 * Keys (prefix vigie:, see deploy/REDIS_KEYS.md):
 *   srv:{id}:insight          hash  the response, scrubbed: topic, class,
 *                                   score_pred, comment, service,
 *                                   submitted_at, pseudonym (not in strict
 *                                   mode); TTL survey.insight.ttl.days
 *   srvtopic:{t}:responses    zset  responses of topic t, at submitted_at
 *   srvtopic:{t}:negative     zset  ... the negative ones
 *   srvtopic:{t}:info         hash  the topic's registry entry
 *   srv:all:topics            zset  topic ids at their birth
 *   svc:{s}:responses         zset  responses about service s
 *   svc:{s}:negative          zset  ... the negative ones
 *   svc:{s}:incidents         zset  incidents (vigie-incident), read for links
 *   svc:{s}:changes           zset  changes (vigie-change), read for links
 *   srvdrop:{subject}:alerts  hash  SATISFACTION_DROP per subject and window
 */
#ifndef SRV_CONTEXT_H
#define SRV_CONTEXT_H

#include "srv_event.h"
#include "srv_policy.h"
#include "srv_topics.h"
#include "vg_conf.h"
#include "vg_store.h"

#define SRV_MAX_LINKS 20
#define SRV_NO_TOPIC  (-2) /**< no earlier insight */

typedef struct srv_store_s srv_store_t;

/** A linked incident or change, as read. */
typedef struct srv_link_s {
        char kind[12]; /**< "incident" or "change" */
        char number[48];
        int64_t at;
} srv_link_t;

/** What the store says about one response. */
typedef struct srv_ctx_s {
        srv_counts_t topic, service;
        unsigned alerted_topic, alerted_service;
        int64_t stored_topic; /**< topic of an earlier insight of the
                               *   response, or SRV_NO_TOPIC */
        int nlinks;
        srv_link_t links[SRV_MAX_LINKS];
        int degraded;
} srv_ctx_t;

srv_store_t *srv_store_new(vg_store_t *s, const vg_conf_t *conf);
void srv_store_destroy(srv_store_t *ss);

/** @brief Queues and sends the reads of \p n responses (\p topics[i]: the
 *         topic of response i, -1 none). */
void srv_store_read(srv_store_t *ss, vg_proc_t *p, const srv_event_t *evs,
                    const int64_t *topics, int n);
/** @brief Fills \p ctx from the replies of response \p i (submitted at
 *         \p t_ms), in order. @returns 0, or -1 (degraded). */
int srv_store_ctx(srv_store_t *ss, int i, int64_t t_ms, srv_ctx_t *ctx);

/** @brief The alert subject of a topic ("topic:12@20412") or a service
 *         ("service:VPN@20412") for the window of \p t_ms. */
const char *srv_store_subject(const srv_store_t *ss, const char *what,
                              const char *id, int64_t t_ms, char *buf,
                              size_t size);

/** @name Writes. @{ */
/** The response's insight and window memberships (\p cls its class from
 *  its score, or -1 without one). */
void srv_store_put_response(srv_store_t *ss, const srv_event_t *ev,
                            int64_t topic, int cls, double score_pred,
                            const char *comment, const char *pseudonym,
                            int64_t wm);
/** A topic's registry entry (births, labels, merges, deaths). */
void srv_store_put_topic(srv_store_t *ss, const srv_topic_info_t *ti);
int srv_store_drop_take(srv_store_t *ss, const char *subject,
                        unsigned stored);
void srv_store_put_dropped(srv_store_t *ss, const char *subject,
                           int64_t event_time);
/** @} */

#endif /* SRV_CONTEXT_H */
