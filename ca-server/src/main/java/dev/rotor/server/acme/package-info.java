/**
 * The ACME door (RFC 8555, with RFC 8737 tls-alpn-01, RFC 8738 IP identifiers and RFC 9773
 * renewal information) for ingress controllers: directory per profile, stateless HMAC nonces spent
 * in PostgreSQL, flattened-JWS verification, accounts with External Account Binding, orders,
 * authorizations and challenges validated asynchronously, finalization through the one
 * issuance door, revocation through {@code RevocationService}. All state is in PostgreSQL
 * ({@code V4__acme.sql}), so replicas share it and a restart loses nothing.
 */
package dev.rotor.server.acme;
