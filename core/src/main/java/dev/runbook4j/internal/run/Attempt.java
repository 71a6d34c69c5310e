package dev.runbook4j.internal.run;

/** One call of user code on some thread, so that a timeout or cancel can interrupt it; guarded by the lock of its run's UserCode. */
final class Attempt {
  final String stepId;
  private Thread thread;
  private boolean interrupted;

  Attempt(String stepId) {
    this.stepId = stepId;
  }

  /** Cheaper than the identity hash (whose first use costs a header inflation); equality stays identity. */
  @Override
  public int hashCode() {
    return stepId.hashCode();
  }

  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  boolean enter() {
    if (interrupted) {
      return false;
    }
    thread = Thread.currentThread();
    return true;
  }

  void exit() {
    thread = null;
    Thread.interrupted();
  }

  void interrupt() {
    interrupted = true;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
