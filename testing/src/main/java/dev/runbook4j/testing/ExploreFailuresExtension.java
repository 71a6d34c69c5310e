package dev.runbook4j.testing;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apiguardian.api.API;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;
import org.opentest4j.TestAbortedException;

/**
 * The JUnit 5 extension behind {@link ExploreFailures}: finds the failure points (from a subject
 * built on a throwaway test instance), then runs one invocation per point, on the invocation's own
 * test instance.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class ExploreFailuresExtension implements TestTemplateInvocationContextProvider {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ExploreFailuresExtension.class);

  @Override
  public boolean supportsTestTemplate(ExtensionContext context) {
    return context.getTestMethod().map(m -> AnnotationSupport.isAnnotated(m, ExploreFailures.class)).orElse(false);
  }

  @Override
  public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
    Method test = context.getRequiredTestMethod();
    ExploreFailures settings = AnnotationSupport.findAnnotation(test, ExploreFailures.class).orElseThrow();
    Class<?> testClass = context.getRequiredTestClass();
    Method factory = factory(testClass, settings.value());
    FailureExplorer<Object> explorer = FailureExplorer.of(() -> subject(factory, newInstance(testClass, factory)))
        .timeouts(settings.timeouts())
        .compensationFailures(settings.compensationFailures())
        .crashes(settings.crashes())
        .exhaustive(settings.exhaustive())
        .sample(settings.sample());
    if (!settings.seed().isBlank()) {
      explorer.seed(Long.decode(settings.seed().trim()));
    }
    List<FailurePoint> points = explorer.failurePoints();
    context.publishReportEntry("runbook4j", points.size() + " failure points, seed " + seedOf(settings));
    return points.stream().map(p -> new Invocation(p, explorer, factory, settings.strict()));
  }

  private static String seedOf(ExploreFailures settings) {
    return settings.seed().isBlank() ? String.valueOf(RunbookTestKit.defaultSeed()) : settings.seed();
  }

  private static Method factory(Class<?> testClass, String name) {
    List<Method> found = ReflectionSupport.findMethods(testClass,
        m -> m.getName().equals(name) && m.getParameterCount() == 0, HierarchyTraversalMode.BOTTOM_UP);
    if (found.isEmpty()) {
      throw new ExtensionConfigurationException("@ExploreFailures needs a method " + testClass.getSimpleName() + "."
          + name + "() without parameters that returns the Subject to explore; there is none");
    }
    Method m = found.get(0);
    if (!Subject.class.isAssignableFrom(m.getReturnType())) {
      throw new ExtensionConfigurationException("@ExploreFailures: " + testClass.getSimpleName() + "." + name
          + "() returns " + m.getReturnType().getSimpleName() + ", not a Subject");
    }
    return m;
  }

  private static Object newInstance(Class<?> testClass, Method factory) {
    if (Modifier.isStatic(factory.getModifiers())) {
      return null;
    }
    try {
      return ReflectionSupport.newInstance(testClass);
    } catch (RuntimeException e) {
      throw new ExtensionConfigurationException("@ExploreFailures builds a " + testClass.getSimpleName()
          + " to find the failure points and could not (" + e + "); give it a constructor without parameters, or"
          + " make " + factory.getName() + "() static", e);
    }
  }

  @SuppressWarnings("unchecked")
  static Subject<Object> subject(Method factory, Object instance) {
    Object s = ReflectionSupport.invokeMethod(factory, instance);
    if (s == null) {
      throw new ExtensionConfigurationException("@ExploreFailures: " + factory.getName() + "() returned null");
    }
    return (Subject<Object>) s;
  }

  /** One failure point as a JUnit invocation. */
  private static final class Invocation implements TestTemplateInvocationContext {
    private final FailurePoint point;
    private final FailureExplorer<Object> explorer;
    private final Method factory;
    private final boolean strict;

    Invocation(FailurePoint point, FailureExplorer<Object> explorer, Method factory, boolean strict) {
      this.point = point;
      this.explorer = explorer;
      this.factory = factory;
      this.strict = strict;
    }

    @Override
    public String getDisplayName(int invocationIndex) {
      return point.name();
    }

    @Override
    public List<Extension> getAdditionalExtensions() {
      return List.of(new PathExtension(point, explorer, factory, strict));
    }
  }

  /** Runs the invocation's path (once, on its test instance), resolves it as parameters, and checks it. */
  private static final class PathExtension implements ParameterResolver, BeforeTestExecutionCallback,
      AfterTestExecutionCallback, TestExecutionExceptionHandler {
    private final FailurePoint point;
    private final FailureExplorer<Object> explorer;
    private final Method factory;
    private final boolean strict;

    PathExtension(FailurePoint point, FailureExplorer<Object> explorer, Method factory, boolean strict) {
      this.point = point;
      this.explorer = explorer;
      this.factory = factory;
      this.strict = strict;
    }

    /** A path that holds without reaching its fault proves nothing about it: skipped, or failed when strict. */
    @Override
    public void beforeTestExecution(ExtensionContext c) {
      PathResult r = path(c);
      if (r.holds() && !r.reached()) {
        String why = "the run did not reach the fault of '" + point.name() + "' (parallel branches ran in another"
            + " order than in the path without fault), so this path proves nothing about it";
        if (strict) {
          throw new AssertionError(why + "; @ExploreFailures(strict = true) fails such a path");
        }
        throw new TestAbortedException(why);
      }
    }

    private PathResult path(ExtensionContext c) {
      return c.getStore(NS).getOrComputeIfAbsent(PathResult.class, k -> {
        Object instance = Modifier.isStatic(factory.getModifiers()) ? null : c.getRequiredTestInstance();
        return explorer.explore(point, subject(factory, instance));
      }, PathResult.class);
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
      Class<?> type = p.getParameter().getType();
      return type == FailurePoint.class || type == TestRun.class || type == PathResult.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext c) {
      Class<?> type = p.getParameter().getType();
      if (type == FailurePoint.class) {
        return point;
      }
      PathResult r = path(c);
      if (type == PathResult.class) {
        return r;
      }
      if (r.run() == null) {
        r.assertHolds();
      }
      return r.run();
    }

    @Override
    public void afterTestExecution(ExtensionContext c) {
      if (c.getExecutionException().isEmpty()) {
        path(c).assertHolds();
      }
    }

    @Override
    public void handleTestExecutionException(ExtensionContext c, Throwable failure) throws Throwable {
      Optional.ofNullable(c.getStore(NS).get(PathResult.class, PathResult.class))
          .filter(r -> r.run() != null)
          .ifPresent(r -> {
            System.out.println("Failure path: " + point.name() + "\n" + r.run().journalText());
            failure.addSuppressed(new RunbookTestExtension.KitReport("failure path: " + point.name() + "\n"
                + String.join("\n", r.problems()) + "\n" + r.run().journalText()));
          });
      throw failure;
    }
  }
}
