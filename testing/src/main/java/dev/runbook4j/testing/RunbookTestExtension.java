package dev.runbook4j.testing;

import dev.runbook4j.RunbookEngine;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.VirtualTime;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.apiguardian.api.API;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link RunbookTest}: one {@link RunbookTestKit} per test, closed
 * after it; its parts injected as parameters; its report printed and attached when the test fails.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class RunbookTestExtension implements ParameterResolver, TestExecutionExceptionHandler {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RunbookTestExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
    Class<?> type = p.getParameter().getType();
    return type == RunbookTestKit.class || type == RunbookEngine.class || type == VirtualTime.class
        || type == Faults.class || type == Journal.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext c) {
    RunbookTestKit kit = kit(c);
    Class<?> type = p.getParameter().getType();
    if (type == RunbookTestKit.class) {
      return kit;
    } else if (type == RunbookEngine.class) {
      return kit.engine();
    } else if (type == VirtualTime.class) {
      return kit.time();
    } else if (type == Faults.class) {
      return kit.faults();
    } else if (type == Journal.class) {
      return kit.journal();
    }
    throw new ParameterResolutionException("Runbook4j does not inject " + type.getName());
  }

  /** The kit of the current test: one per test method, closed with it. */
  static RunbookTestKit kit(ExtensionContext c) {
    return c.getStore(NS).getOrComputeIfAbsent(RunbookTestKit.class, k -> create(c), RunbookTestKit.class);
  }

  private static RunbookTestKit create(ExtensionContext c) {
    RunbookTestKit.Builder b = RunbookTestKit.builder();
    Optional<RunbookTest> settings = c.getTestMethod()
        .flatMap(m -> AnnotationSupport.findAnnotation(m, RunbookTest.class))
        .or(() -> c.getTestClass().flatMap(k -> AnnotationSupport.findAnnotation(k, RunbookTest.class)));
    settings.ifPresent(s -> {
      if (!s.seed().isBlank()) {
        try {
          b.seed(Long.decode(s.seed().trim()));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("@RunbookTest(seed = \"" + s.seed() + "\") is not a number", e);
        }
      }
      if (!s.start().isBlank()) {
        try {
          b.startingAt(Instant.parse(s.start().trim()));
        } catch (DateTimeParseException e) {
          throw new IllegalArgumentException("@RunbookTest(start = \"" + s.start() + "\") is not an ISO instant"
              + " such as 2026-03-02T09:00:00Z", e);
        }
      }
    });
    return b.build();
  }

  @Override
  public void handleTestExecutionException(ExtensionContext c, Throwable failure) throws Throwable {
    RunbookTestKit kit = c.getStore(NS).get(RunbookTestKit.class, RunbookTestKit.class);
    if (kit != null) {
      String report = kit.report();
      System.out.println(report);
      failure.addSuppressed(new KitReport(report));
    }
    throw failure;
  }

  /** The kit's report, attached to a failed test's exception. */
  static final class KitReport extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KitReport(String report) {
      super("Runbook4j runs of this test:\n" + report, null, false, false);
    }
  }
}
