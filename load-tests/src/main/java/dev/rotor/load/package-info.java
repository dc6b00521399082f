/**
 * Load generators that print figures: {@code java -jar rotor-load.jar issue ...} drives the REST
 * issuance endpoint in a closed loop, measures throughput and latency, compares the rate with the
 * machine's ECDSA ceiling, and checks that every certificate it received was recorded.
 *
 * <p>Everything here is a client of a running server; nothing in this package starts one.
 */
package dev.rotor.load;
