/**
 * The Rotor node agent: attestation, the rotation loop, Kubernetes Secret and file sinks, and the
 * mTLS data-plane proxy. The module exists so the build has its final shape; its code arrives
 * with the agent and proxy issues, and until then it ships no entry point.
 */
package dev.rotor.agent;
