/**
 * The agent's client of the server's agent API ({@code docs/agent-api.md}): attestation, renewal of
 * the agent's own certificate, workload signing and the trust bundle, over one keep-alive mTLS
 * connection per agent certificate.
 */
package dev.rotor.agent.api;
