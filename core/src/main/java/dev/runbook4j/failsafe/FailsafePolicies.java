package dev.runbook4j.failsafe;

import dev.failsafe.Failsafe;
import dev.failsafe.Policy;
import dev.runbook4j.spi.PolicyContext;
import dev.runbook4j.spi.StepPolicy;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apiguardian.api.API;

/**
 * Puts a user's own Failsafe policies around each attempt of a step:
 * {@code .withPolicy(FailsafePolicies.of(retryPolicy, breaker))}, composed as
 * {@code Failsafe.with(policies)} composes them (outermost first). Their delays run on the engine's
 * scheduler, so they are virtual in tests.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class FailsafePolicies {
  private FailsafePolicies() {}

  @SafeVarargs
  public static StepPolicy of(Policy<Object>... policies) {
    List<Policy<Object>> list = List.of(policies);
    if (list.isEmpty()) {
      throw new IllegalArgumentException("FailsafePolicies.of needs at least one policy");
    }
    return new StepPolicy() {
      @Override
      @SuppressWarnings("unchecked")
      public <T> CompletionStage<T> apply(Supplier<CompletionStage<T>> attempt, PolicyContext ctx) {
        return (CompletionStage<T>) Failsafe.with(list).with(ctx.scheduler())
            .getStageAsync(() -> (CompletionStage<Object>) attempt.get());
      }

      @Override
      public String toString() {
        return "failsafe " + list.stream().map(p -> p.getClass().getSimpleName()).toList();
      }
    };
  }
}
