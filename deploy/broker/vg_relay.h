/**
 * @file vg_relay.h
 * @brief A loopback TCP relay: gives vigie-broker a fixed bootstrap port.
 *
 * librdkafka 2.0.2's mock cluster binds its listeners to ephemeral ports
 * (rd_kafka_mock_broker_new() always asks for port 0). The relay listens
 * on a fixed loopback port and forwards each connection, byte for byte, to
 * the mock broker. A client that bootstraps through it learns the brokers'
 * own addresses from the Metadata response and connects to them directly;
 * only the bootstrap connection goes through the relay.
 */
#ifndef VG_RELAY_H
#define VG_RELAY_H

#include <stddef.h>

typedef struct vg_relay_s vg_relay_t;

/**
 * @brief Listens on 127.0.0.1:\p port and relays to \p target ("host:port").
 * @returns the relay (running in its own thread), or NULL with \p errstr.
 */
vg_relay_t *vg_relay_new(int port, const char *target, char *errstr,
                         size_t errstr_size);

/** @brief Stops the relay and closes every connection. NULL-safe. */
void vg_relay_destroy(vg_relay_t *r);

#endif /* VG_RELAY_H */
