package dev.runbook4j.internal.run;

import dev.runbook4j.RunbookException;

/** How a node ended. */
record Outcome(Kind kind, RunbookException cause) {
  enum Kind {
    /** Completed (or failed with onFailure CONTINUE). */
    OK,
    /** Stopped at a node boundary because a sibling branch failed. */
    STOPPED,
    /** Reached a {@code succeed}: the run ends successfully, nothing after it runs. */
    ENDED,
    /** Cancelled: roll back. */
    CANCELLED,
    /** Failed: roll back. */
    FAILED,
    /** Failed with onFailure ABORT: stop, no rollback. */
    ABORTED,
    /** The journal failed: stop where we are. */
    HALTED
  }

  static final Outcome OK = new Outcome(Kind.OK, null);
  static final Outcome STOPPED = new Outcome(Kind.STOPPED, null);
  static final Outcome ENDED = new Outcome(Kind.ENDED, null);

  static Outcome failed(RunbookException cause) {
    return new Outcome(Kind.FAILED, cause);
  }

  static Outcome aborted(RunbookException cause) {
    return new Outcome(Kind.ABORTED, cause);
  }

  static Outcome cancelled(RunbookException cause) {
    return new Outcome(Kind.CANCELLED, cause);
  }

  static Outcome halted(RunbookException cause) {
    return new Outcome(Kind.HALTED, cause);
  }

  boolean ok() {
    return kind == Kind.OK;
  }

  /** Severity for combining parallel branches: the most severe wins. */
  int severity() {
    return switch (kind) {
      case OK -> 0;
      case STOPPED, ENDED -> 1;
      case CANCELLED -> 2;
      case FAILED -> 3;
      case ABORTED -> 4;
      case HALTED -> 5;
    };
  }
}
