/**
 * Load generators that print figures: {@code java -jar rotor-load.jar issue ...} drives the REST
 * issuance endpoint in a closed loop, measures throughput and latency, compares the rate with the
 * machine's ECDSA ceiling, and checks that every certificate it received was recorded;
 * {@code renew-fleet} simulates a fleet of node agents, each with its own agent certificate and
 * mTLS connection, renewing its workloads' certificates open-loop at the rate the fleet needs
 * ({@code fleet-policy} writes the server's static policy for it).
 *
 * <p>Everything here is a client of a running server; nothing in this package starts one.
 */
package dev.rotor.load;
