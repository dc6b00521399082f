/**
 * The checker job: stored certificates re-verified against their rows, their issuing CA and the
 * lint rules ({@code dev.rotor.pki.CertificateLint}), with its admin endpoint.
 */
package dev.rotor.server.lint;
