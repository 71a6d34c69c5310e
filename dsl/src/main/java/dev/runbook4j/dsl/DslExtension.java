package dev.runbook4j.dsl;

import org.apiguardian.api.API;

/**
 * Adds keywords to the blocks that hold nodes (the runbook, groups, parallel branches and forEach
 * bodies), found with {@link java.util.ServiceLoader} ({@code META-INF/services/dev.runbook4j.dsl.DslExtension}).
 * The public methods of {@link #keywords()} are the new keywords; the loader's check knows them, so
 * a misspelt one is reported like any other.
 *
 * <pre>{@code
 * public final class AwsKeywords implements DslExtension {
 *   public Class<?> keywords() { return Aws.class; }
 *   public Object create(NodesDsl nodes) { return new Aws(nodes); }
 * }
 * public final class Aws {            // canary(...) adds the steps of a canary release
 *   ...
 *   public void canary(Map<String, Object> options) { nodes.step("shift-10", s -> ...); ... }
 * }
 * }</pre>
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface DslExtension {
  /** The class whose public methods are the keywords. */
  Class<?> keywords();

  /** The keywords' object for one block; it adds nodes through {@code nodes}' own keywords. */
  Object create(NodesDsl nodes);
}
