package dev.runbook4j.testing;

import org.apiguardian.api.API;

/**
 * Entry point for assertions on runs that read as sentences.
 *
 * <pre>{@code
 * import static dev.runbook4j.testing.RunbookAssertions.assertThat;
 *
 * assertThat(run).rolledBack().compensated("shift-10", "publish").inOrder();
 * assertThat(run).succeeded().journal().hasNoDuplicateEffects();
 * }</pre>
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class RunbookAssertions {
  private RunbookAssertions() {}

  public static RunAssert assertThat(TestRun run) {
    return new RunAssert(run);
  }
}
