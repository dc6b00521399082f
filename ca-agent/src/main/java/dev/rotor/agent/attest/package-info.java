/**
 * How the agent proves who it is when it has no valid certificate: a projected Kubernetes
 * ServiceAccount token (re-read from its file on every attempt, since kubelet rotates it) or a
 * single-use join token for machines outside Kubernetes.
 */
package dev.rotor.agent.attest;
