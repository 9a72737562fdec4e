/**
 * @file vg_gen.h
 * @brief Deterministic generator of realistic ITSM event streams: change
 *        requests, incidents and satisfaction surveys, in ServiceNow shapes,
 *        as JSON Lines in event-time order, with a ground-truth CSV.
 *
 * The same options (seed included) give byte-identical output on the same
 * platform. Every kind is generated from its own random stream, so
 * vg_gen_changes() and vg_gen_incidents() of one generator describe the same
 * world: same teams, people and ~150 CIs (each in one business service,
 * below), and the incidents that follow
 * failed changes name the changes that vg_gen_changes() writes (the change
 * stream is a prefix-stable sequence: N changes are the first N of N + M).
 *
 * @par Records and event time
 * Every line is one JSON object whose "sys_updated_on" is its event time
 * ("YYYY-MM-DD HH:MM:SS", UTC, as every other date field). Fields that are
 * not set yet hold "" (as ServiceNow's REST API returns them). Lines are
 * written in sys_updated_on order, except a fraction
 * (vg_gen_opts_t.late_fraction) of records written later than their event
 * time, by 1 minute to late_max_s; a late record never overtakes the next
 * record of the same change or incident. Update records (state changes after
 * the first record) carry the identifying and classification fields but not
 * the long texts, unless vg_gen_opts_t.full_updates is set.
 *
 * @par Business services
 * Every change and incident record carries its CI's "business_service",
 * fixed per CI family: "VPN" (vpn-gw-*), "Printing" (app-print-srv),
 * "Email" (app-mail-exch, app-teams-gw), "Service Desk" (app-ad-dc,
 * app-sso: accounts and passwords), "Laptop" (srv-win-prd-*: the
 * workplace's servers), "Wi-Fi" (sw-core-par-*: the campus core), and
 * "Infrastructure" for every other CI (databases, Linux servers, storage,
 * business applications...). The first six are the services the surveys
 * ask about (a response's "service"), so that a response can be linked
 * to the incidents and changes of its service.
 *
 * @par Changes (change_request)
 * Each change has an open record (state "New", "Assess", "Authorize" or
 * "Scheduled", sys_updated_on = opened_at + 1..30 min), optionally an
 * "Implement" record at start_date (update_fraction), and a "Closed" record
 * at closed_at (after end_date) with close_code "Successful", "Successful
 * with issues", "Unsuccessful" or "Backed out" (failed = anything but
 * "Successful"). A fraction (cancel_fraction) ends in a "Canceled" record
 * before start_date, without close_code. backout_plan and test_plan are
 * either present, "" or absent ("missing"). The open record's text never
 * mentions the outcome.
 *
 * The true failure probability is p = 1 / (1 + exp(-z)), and the outcome is
 * Bernoulli(p), with z the sum of (VG_GEN_COEF_* in vg_gen.c):
 *  - intercept                                          -3.3
 *  - team skill, per assignment_group latent            N(0, 0.5)
 *  - CI fragility, per cmdb_ci latent                   N(0, 0.4),
 *    plus +1.0 for 10% "fragile" CIs
 *    (both latents are centred, the CIs' weighted by how often they change,
 *    so that the overall rate depends little on the seed)
 *  - type: Standard -0.7, Normal 0, Emergency +1.3
 *  - category: Software 0, Hardware +0.15, Network +0.3, Database +0.35,
 *    Security +0.1, Other -0.3
 *  - night work (start_date hour in 22:00-04:59)        +0.6
 *  - weekend (start_date on Saturday or Sunday)         +0.35
 *  - rushed (start_date - opened_at < 24 h)             +0.5
 *  - long window (end_date - start_date > 4 h)          +0.4
 *  - backout_plan missing or empty                      +0.7
 *  - test_plan missing or empty                         +0.5
 *  - each risky phrase in short_description/description +0.45 (at most 3):
 *    "hotfix", "urgent", "migration", "firmware", "schema change",
 *    "rollback", and French "correctif urgent", "migration",
 *    "changement de schéma", "rollback"
 *  - declared risk: High +0.35, Moderate +0.1, Low -0.15
 *  - history: +0.3 per failed change on the same CI closed in the
 *    720 mean inter-arrivals (30 days at the default pace) before opened_at
 *    (at most 3)
 * The intercept gives an overall failure rate of about 15% (13.5% to 17% over
 * seeds, on 20,000 changes). The truth CSV
 * is "number,p_true,failed" (failed is 1, 0, or empty for a canceled change).
 *
 * @par Incidents
 * Background incidents arrive as a Poisson process (busier in office
 * hours); 12% of them hit one of 5 "recurring" CIs with the same cause and
 * text pattern each time (problem_id set on half of them). Each failed
 * change causes an incident on its CI with probability 0.5, between its
 * start and a few hours later, with u_cause "Configuration" (60%:
 * "Change side effect" or "Wrong parameter") or "Software" ("Bug",
 * "Version incompatibility"); rfc and caused_by name the change on 60% of
 * them (set in the "Resolved" record). Other causes follow a per-CI-type
 * table; the sub-cause is uniform within the cause; short_description comes
 * from the sub-cause's phrase bank (75%) or from a generic bank (25%, the
 * noise). Records: open ("New"/"Active"), "Resolved" (u_cause,
 * u_sub_cause, closed_code), "Closed" (3 days later).
 * The cause of the surveys' VPN dissatisfaction is planted: from day 13
 * after the start (a day before the spike below) to day 21, extra
 * incidents arrive on the VPN gateways (business_service "VPN"), one per
 * 5 mean inter-arrivals of the background (about 7 a day at the default
 * pace, several times the VPN gateways' usual rate), 70% of them on one
 * gateway drawn per seed, with u_cause "Network" ("Packet loss" 50%,
 * "Link down" 25%) or "Third party" ("ISP outage" 25%). They come from
 * their own random stream: the incidents before day 13 are the same as
 * without them. Truth CSV: "number,true_change,u_cause,u_sub_cause,
 * recurring,spike" (spike is 1 for a planted VPN incident, else 0).
 *
 * @par Surveys
 * One record per response, its "service" one of the first six business
 * services above (the topic's). A topic (e.g. "vpn_disconnects",
 * "password_reset", "technician_friendly") is drawn per response with a
 * per-topic mean score; score = round(mean + N(0, 0.8)) in 1..5; the comment
 * is a complaint phrase (score <= 2, and 60% of 3s) or a praise phrase, in
 * French (40%) or English, with a negative or positive closer. Between day
 * 14 and day 21 after the start, "vpn_disconnects" is 4 times as frequent
 * and its mean score drops by 1.3 (the dissatisfaction spike). 15% of
 * comments carry personal data: an email, a phone number ("06 12 34 56 78",
 * "+33 6 12 34 56 78"), a person's name or an IBAN; 8% are empty. Truth CSV:
 * "response_id,topic,spike,pii".
 */
#ifndef VG_GEN_H
#define VG_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vg_err.h"

/**
 * @brief Generator options. Initialise with vg_gen_opts_init() and then
 *        override fields, so that fields added later get their defaults.
 */
typedef struct vg_gen_opts_s {
        uint64_t seed;     /**< random seed (default 1) */
        int64_t count;     /**< records to generate: changes, incidents or
                            *   responses (default 1000, 1 .. 10^8) */
        int64_t start_ms;  /**< first opened_at lower bound, Unix ms, UTC
                            *   (default 2025-01-01 00:00:00) */
        double mean_interarrival_s; /**< mean time between two opened_at;
                                     *   0 = per kind default: changes 3600,
                                     *   incidents 2400 (plus those caused
                                     *   by changes), surveys 7200; when set,
                                     *   it also paces the changes that
                                     *   vg_gen_incidents() links to */
        double late_fraction;   /**< records written late (default 0.01) */
        double late_max_s;      /**< maximum lateness (default 7200) */
        double cancel_fraction; /**< changes canceled (default 0.03) */
        double update_fraction; /**< changes with an "Implement" record
                                 *   (default 0.3) */
        int full_updates; /**< 1: update records repeat the long texts
                           *   (default 0) */
} vg_gen_opts_t;

/** @brief Opaque generator: the world (teams, people, CIs, latents). */
typedef struct vg_gen_s vg_gen_t;

/** @brief Fills \p opts with the defaults. */
void vg_gen_opts_init(vg_gen_opts_t *opts);

/**
 * @brief Parses "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS" or
 *        "YYYY-MM-DDTHH:MM:SS[Z]" (UTC) into Unix milliseconds.
 * @returns VG_OK, or VG_ERR_INVALID with \p errstr filled.
 */
vg_err_t vg_gen_parse_time(const char *str, int64_t *msp, char *errstr,
                           size_t errstr_size);

/**
 * @brief Creates a generator: builds the world from opts->seed.
 * @returns the generator, or NULL with \p errstr filled if an option is out
 *          of range. \p opts is copied. Free with vg_gen_destroy().
 */
vg_gen_t *vg_gen_new(const vg_gen_opts_t *opts, char *errstr,
                     size_t errstr_size);

/** @brief Frees \p gen. NULL is allowed. */
void vg_gen_destroy(vg_gen_t *gen);

/**
 * @brief Writes opts.count changes (their open, update and close records)
 *        to \p events as JSON Lines, and one truth row per change to
 *        \p truth ("number,p_true,failed", with a header line).
 * @param truth optional (NULL: no truth).
 * @returns VG_OK, or VG_ERR_IO with \p errstr filled on a write error.
 * @remark Each call starts again from the seed: two calls write the same.
 */
vg_err_t vg_gen_changes(vg_gen_t *gen, FILE *events, FILE *truth,
                        char *errstr, size_t errstr_size);

/**
 * @brief Writes opts.count incidents (open, resolved, closed records) and,
 *        if \p truth is not NULL, "number,true_change,u_cause,u_sub_cause,
 *        recurring,spike" rows. Incidents caused by changes refer to
 *        the changes that vg_gen_changes() writes with the same options,
 *        provided the change count covers the incidents' time span.
 * @returns VG_OK, or VG_ERR_IO with \p errstr filled.
 */
vg_err_t vg_gen_incidents(vg_gen_t *gen, FILE *events, FILE *truth,
                          char *errstr, size_t errstr_size);

/**
 * @brief Writes opts.count survey responses and, if \p truth is not NULL,
 *        "response_id,topic,spike,pii" rows.
 * @returns VG_OK, or VG_ERR_IO with \p errstr filled.
 */
vg_err_t vg_gen_surveys(vg_gen_t *gen, FILE *events, FILE *truth,
                        char *errstr, size_t errstr_size);

/**
 * @brief Dispatches on \p kind: "changes", "incidents" or "surveys".
 * @returns as the function called, or VG_ERR_INVALID on an unknown kind.
 */
vg_err_t vg_gen_run(vg_gen_t *gen, const char *kind, FILE *events,
                    FILE *truth, char *errstr, size_t errstr_size);

#endif /* VG_GEN_H */
