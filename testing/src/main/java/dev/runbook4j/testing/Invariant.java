package dev.runbook4j.testing;

import org.apiguardian.api.API;

/**
 * Something about the system a runbook changes that must hold after a run: "the alias points at
 * the old version again". Throw (an AssertJ assertion, say) when it does not.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
@FunctionalInterface
public interface Invariant {
  void check(TestRun run) throws Exception;
}
