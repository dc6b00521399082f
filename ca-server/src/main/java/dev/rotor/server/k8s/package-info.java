/**
 * Rotor as a cert-manager external issuer: the CertificateRequest controller.
 *
 * <p>{@link dev.rotor.server.k8s.CertificateRequestController} watches
 * {@code certificaterequests.cert-manager.io/v1} and the {@code rotor.dev} {@code Issuer} and
 * {@code ClusterIssuer} resources while this replica holds the controller's Lease
 * ({@link dev.rotor.server.k8s.LeaderElection}); {@link dev.rotor.server.k8s.CertificateRequestReconciler}
 * decides what a request gets and signs through {@code IssuanceService}, the one door;
 * {@link dev.rotor.server.k8s.Conditions} is where outcomes become status conditions.
 * {@link dev.rotor.server.k8s.KubernetesCalls} lists every Kubernetes API call the server makes,
 * for the chart's RBAC.
 */
package dev.rotor.server.k8s;
