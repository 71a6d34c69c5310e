package dev.runbook4j.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.apiguardian.api.API;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a JUnit 5 test class (or method) whose tests get a fresh {@link RunbookTestKit} each: its
 * methods (and {@code @BeforeEach} methods) may declare parameters of type
 * {@link RunbookTestKit}, {@link dev.runbook4j.RunbookEngine},
 * {@link dev.runbook4j.spi.VirtualTime}, {@link Faults} and {@link dev.runbook4j.spi.Journal}, all
 * from the same kit. When a test fails, the kit's seed, faults and the journal of every run it made
 * are printed and attached to the failure.
 *
 * <pre>{@code
 * @RunbookTest
 * class CanaryTests {
 *   @Test
 *   void aTimeoutAtFiftyPercentRollsBack(RunbookTestKit kit) {
 *     kit.faults().failStep("shift-50").byTimeout();
 *     assertThat(kit.run(canary, params)).rolledBack().compensated("shift-50", "shift-10", "publish").inOrder();
 *   }
 * }
 * }</pre>
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(RunbookTestExtension.class)
public @interface RunbookTest {
  /** The kit's seed; empty for {@code -Drunbook4j.seed}, else 1. */
  String seed() default "";

  /** Where virtual time starts, as an ISO instant; empty for Monday 2026-01-05 09:00 UTC. */
  String start() default "";
}
