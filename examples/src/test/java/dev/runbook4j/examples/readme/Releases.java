package dev.runbook4j.examples.readme;

import dev.runbook4j.Runbook;

/** The README's {@code Releases.runbook(fleet)}: the tour's runbook around a given fleet. */
public final class Releases {
  private Releases() {}

  static Runbook<Tour.Release> runbook(FakeFleet fleet) {
    return new Tour(fleet).release;
  }
}
