/**
 * Where workload certificates go: Kubernetes TLS Secrets annotated with an identity (kept fresh by
 * every agent whose node runs a pod of that identity) and files on disk. Keys are generated here,
 * on the node; only CSRs leave it. A sink never writes a key and certificate that do not match,
 * and never blanks what it manages when the CA is unreachable.
 */
package dev.rotor.agent.sink;
