package dev.rotor.load;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * One simulated node agent: its current credential and the requests it has to make. Like a real
 * agent on one HTTP/1.1 connection it has at most one request outstanding; the others wait here,
 * in order, and that wait counts in their latency.
 */
final class FleetAgent {

  /** A request to make with the agent's credential; it must call {@link #done()} once, at the end. */
  @FunctionalInterface
  interface Job {
    void start(AgentCredential credential);
  }

  final int index;
  private final Executor executor;
  private volatile AgentCredential credential;
  private final ArrayDeque<Job> waiting = new ArrayDeque<>();
  private boolean busy;

  FleetAgent(int index, AgentCredential credential, Executor executor) {
    this.index = index;
    this.credential = credential;
    this.executor = executor;
  }

  AgentCredential credential() {
    return credential;
  }

  /** The renewed credential; requests started from now on use it (and so a new connection). */
  void replace(AgentCredential next) {
    credential = next;
  }

  /** Starts {@code job} (on the executor, never on the caller's thread) or queues it. */
  void submit(Job job) {
    synchronized (this) {
      if (busy) {
        waiting.add(job);
        return;
      }
      busy = true;
    }
    executor.execute(() -> job.start(credential));
  }

  /**
   * Queues {@code job} ahead of all waiting ones; called by the running job (which then ends with
   * {@link #done()}), so it is the next to start.
   */
  void submitNext(Job job) {
    synchronized (this) {
      waiting.addFirst(job);
    }
  }

  /** The outstanding request has ended: start the next one. */
  void done() {
    Job next;
    synchronized (this) {
      next = waiting.poll();
      if (next == null) {
        busy = false;
        return;
      }
    }
    executor.execute(() -> next.start(credential));
  }

  synchronized int waiting() {
    return waiting.size();
  }
}
