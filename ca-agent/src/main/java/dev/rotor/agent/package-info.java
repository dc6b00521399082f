/**
 * The Rotor node agent: {@link dev.rotor.agent.RotorAgent} wires attestation ({@code attest}),
 * the rotation loop of its own certificate ({@code renew}), the agent API client ({@code api}),
 * and the Kubernetes Secret and file sinks ({@code sink}); {@link dev.rotor.agent.AgentConfig} is
 * its configuration and {@link dev.rotor.agent.AgentMetrics} every metric it exports. The
 * data-plane proxy ({@code proxy}) reads the file sink's directories and is not started from here
 * yet.
 */
package dev.rotor.agent;
