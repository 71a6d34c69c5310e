package dev.runbook4j.internal;

/** One call of user code on some thread, so that a timeout or cancel can interrupt it. */
final class Attempt {
  final String stepId;
  private Thread thread;
  private boolean interrupted;

  Attempt(String stepId) {
    this.stepId = stepId;
  }

  synchronized boolean enter() {
    if (interrupted) {
      return false;
    }
    thread = Thread.currentThread();
    return true;
  }

  synchronized void exit() {
    thread = null;
    Thread.interrupted();
  }

  synchronized void interrupt() {
    interrupted = true;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
