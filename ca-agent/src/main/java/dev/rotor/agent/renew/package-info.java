/**
 * When to renew and what to do when it fails: the half-life renewal point with jitter, capped
 * exponential backoff, and the rotation loop of the agent's own certificate (attest, renew,
 * re-attest after expiry), which publishes immutable credential snapshots to subscribers.
 */
package dev.rotor.agent.renew;
