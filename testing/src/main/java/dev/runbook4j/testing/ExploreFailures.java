package dev.runbook4j.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.apiguardian.api.API;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A JUnit 5 test template run once per failure point of a runbook, each invocation named for what
 * it proves ({@code fail 'shift-50' by timeout → compensates shift-50, shift-10, publish}). The
 * runbook comes from a method of the test class that returns a {@link Subject} (by default one
 * named {@code subject}); it is called on each invocation's own test instance, so the fake the
 * runbook changes is fresh for every path, and the test method sees the same one.
 *
 * <p>Each invocation runs its failure path (see {@link FailureExplorer} for what is checked) and
 * fails when the path does not hold; the method may take the {@link TestRun}, the
 * {@link FailurePoint} or the {@link PathResult} as parameters to check more.
 *
 * <pre>{@code
 * class CanaryRollbackTests {
 *   final FakeAlias alias = new FakeAlias("v1");
 *
 *   Subject<Release> subject() {
 *     return Subject.of(Canary.runbook(alias), new Release("v2"));
 *   }
 *
 *   @ExploreFailures
 *   void everyFailureRollsBack(TestRun run) {
 *     if (run.rolledBack()) {
 *       assertThat(alias.target()).isEqualTo("v1");
 *     }
 *   }
 * }
 * }</pre>
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@TestTemplate
@ExtendWith(ExploreFailuresExtension.class)
public @interface ExploreFailures {
  /** The name of the method (no parameters) that returns the {@link Subject}. */
  String value() default "subject";

  /** Whether steps also fail by timing out. */
  boolean timeouts() default true;

  /** Whether compensations fail during rollbacks. */
  boolean compensationFailures() default true;

  /** Whether the engine crashes at journal writes. */
  boolean crashes() default true;

  /**
   * Whether each compensation fails in every distinct rollback (N²/2 paths for N steps) rather than
   * in the longest one and the one it heads; see {@link FailureExplorer#exhaustive(boolean)}.
   */
  boolean exhaustive() default false;

  /**
   * Whether a path whose run never reached its fault fails (default: it is skipped, as an aborted
   * invocation, saying so: it proves nothing about that fault).
   */
  boolean strict() default false;

  /** Run at most this many failure points, chosen with the seed; 0 for all. */
  int sample() default 0;

  /** The seed; empty for {@code -Drunbook4j.seed}, else 1. */
  String seed() default "";
}
