package dev.rotor.agent.sink;

import java.time.Instant;

/** What the sinks report (metrics and health are its implementation). */
public interface SinkEvents {

  /** A workload renewal attempt; {@code outcome}: {@code issued}, {@code failed} (retried with backoff), {@code denied} (403), {@code rejected} (other 4xx). */
  void workloadRenewal(String outcome);

  /** A Secret write; {@code outcome}: {@code written}, {@code conflict}, {@code failed}. */
  void secretWrite(String outcome);

  /** The certificate now held by {@code target} (a Secret or a directory) for {@code identity} expires at {@code notAfter}. */
  void certificateHeld(String target, String identity, Instant notAfter);

  /** {@code target} no longer holds a certificate this agent manages. */
  void certificateReleased(String target);

  /** No events (for tests of other parts). */
  SinkEvents NONE = new SinkEvents() {
    @Override
    public void workloadRenewal(String outcome) {}

    @Override
    public void secretWrite(String outcome) {}

    @Override
    public void certificateHeld(String target, String identity, Instant notAfter) {}

    @Override
    public void certificateReleased(String target) {}
  };
}
