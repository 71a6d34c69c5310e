package dev.runbook4j;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * What a run will do, before it does it: the resolved tree of steps (with how each is undone, its
 * retry, timeout and onFailure), gates, waits, watches, locks, forEach items and points of no
 * return, with a stable {@link #hash()}. Printable as text, JSON and a Mermaid diagram; two plans
 * diff line by line. Approvals bind to the hash.
 *
 * <pre>{@code
 * Plan plan = Plan.of(runbook, params);
 * System.out.println(plan.toText());
 * }</pre>
 *
 * <p>The hash covers the structure, the settings, the resolved lock keys and items and the
 * parameters, and the code the actions run as far as the runbook names it ({@link Runbook#code()}:
 * a script's content hash, for a script runbook), so that an approval is bound to the code too. It
 * cannot look inside the actions of a runbook that names no code. This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class Plan {
  /**
   * One node of the plan.
   *
   * @param id the node's id (its path of names; forEach bodies show {@code name[*]})
   * @param kind step, gate, sleep, waitUntil, bake, group, parallel, branch or forEach
   * @param attributes the node's settings, in display order
   * @param children the nested nodes
   */
  public record Node(String id, String kind, Map<String, String> attributes, List<Node> children) {
    public Node {
      attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
      children = List.copyOf(children);
    }
  }

  private final String runbook;
  private final String description;
  private final String params;
  private final String code;
  private final List<String> locks;
  private final List<LockPolicy> lockPolicies;
  private final List<Node> watches;
  private final List<Node> nodes;
  private final List<String> pointsOfNoReturn;
  private final List<String> hooks;
  private final Node rollbackGate;
  private final String timeout;
  private final String hash;

  private Plan(String runbook, String description, String params, String code, List<String> locks,
      List<LockPolicy> policies, Structure structure, List<String> hooks, Node rollbackGate, String timeout) {
    this.hooks = List.copyOf(hooks);
    this.timeout = timeout;
    this.rollbackGate = rollbackGate;
    this.runbook = runbook;
    this.description = description;
    this.params = params;
    this.code = code;
    this.locks = List.copyOf(locks);
    this.lockPolicies = List.copyOf(policies);
    this.watches = structure.watches;
    this.nodes = structure.nodes;
    this.pointsOfNoReturn = structure.pointsOfNoReturn;
    // length-prefixed fields, then the structure's own digest: unambiguous, and cheap per run
    StringBuilder in = new StringBuilder(128 + params.length());
    field(in, runbook);
    field(in, description);
    field(in, params);
    if (!code.isEmpty()) {
      field(in, "code " + code);  // absent for a runbook that names no code: its hash is as before
    }
    for (int i = 0; i < this.locks.size(); i++) {
      field(in, lockLabel(i));
    }
    for (String h : this.hooks) {
      field(in, "hook " + h);  // absent for a runbook without hooks: its hash is as before
    }
    if (timeout != null) {
      field(in, "timeout " + timeout);
    }
    if (rollbackGate != null) {
      field(in, "before rollback " + dev.runbook4j.spi.EventCodec.inOrder(array(List.of(rollbackGate), false)));
    }
    in.append(structure.digest);
    this.hash = sha256(in.toString());
  }

  private static void field(StringBuilder sb, String value) {
    sb.append(value.length()).append(':').append(value).append('\n');
  }

  /** The resolved tree, its points of no return and its canonical JSON (what the hash covers). */
  static final class Structure {
    final List<Node> nodes;
    final List<Node> watches;
    final List<String> pointsOfNoReturn;
    final String json;
    final String digest;

    Structure(List<Node> nodes, List<Node> watches, List<String> pointsOfNoReturn) {
      this.nodes = List.copyOf(nodes);
      this.watches = List.copyOf(watches);
      this.pointsOfNoReturn = List.copyOf(pointsOfNoReturn);
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("watches", array(this.watches));
      root.put("nodes", array(this.nodes));
      root.put("pointsOfNoReturn", this.pointsOfNoReturn);
      this.json = dev.runbook4j.spi.EventCodec.inOrder(root);
      // what the plan found its conditions to decide is not hashed: it follows from the parameters,
      // which are, when the conditions read only them; and a condition that reads more (a flag, the
      // time) must not make a run's resume see another plan
      if (json.contains("\"decision\"")) {
        root.put("nodes", array(this.nodes, false));
        this.digest = sha256(dev.runbook4j.spi.EventCodec.inOrder(root));
      } else {
        this.digest = sha256(json);
      }
    }
  }

  /**
   * Resolves {@code runbook} with {@code params} into a plan.
   *
   * <p>The tree of a runbook without {@code forEach} does not depend on the parameters; it is
   * resolved once per runbook and shared by its plans.
   *
   * @throws RunbookDefinitionException when the parameters are invalid
   */
  public static <P> Plan of(Runbook<P> runbook, P params) {
    runbook.validate(params);
    Structure structure = runbook.planStructure;
    if (structure == null) {
      structure = structure(runbook, params);
      if (!dependsOnParams(runbook.nodes())) {
        runbook.planStructure = structure;
      }
    }
    List<String> locks = runbook.lockKeys(params);
    Runbook.LastPlan last = runbook.lastPlan;
    if (last != null && last.plan().nodes == structure.nodes && last.plan().locks.equals(locks)
        && java.util.Objects.equals(last.params(), params)) {
      return last.plan();  // the same runbook with equal parameters: the same plan
    }
    List<String> hooks = new ArrayList<>();
    for (Runbook.Hook<P> h : runbook.hooks()) {
      hooks.add(h.hook().label() + " → " + h.channel());
    }
    Node rollbackGate = runbook.rollbackGate().map(g -> resolve(List.of(g), "rollback", params, null,
        new ArrayList<>()).get(0)).orElse(null);
    Plan plan = new Plan(runbook.name(), runbook.description(), render(params), runbook.code(), locks,
        runbook.lockPolicies(), structure, hooks, rollbackGate, runbook.timeout().map(Durations::format).orElse(null));
    runbook.lastPlan = new Runbook.LastPlan(params, plan);
    return plan;
  }

  private static <P> Structure structure(Runbook<P> runbook, P params) {
    List<String> pnr = new ArrayList<>();
    List<Node> nodes = resolve(runbook.nodes(), "", params, new PlanContext(runbook.name(), params), pnr);
    List<Node> watches = watches(runbook.watches(), "");
    List<Object> key = List.of(nodes, watches, pnr);
    synchronized (STRUCTURES) {
      Structure known = STRUCTURES.get(key);
      if (known != null) {
        return known;
      }
    }
    Structure made = new Structure(nodes, watches, pnr);
    synchronized (STRUCTURES) {
      STRUCTURES.put(key, made);
    }
    return made;
  }

  /**
   * Structures resolved lately, by their trees: a runbook built again with the same shape (a test
   * kit's fresh runbook per run, the explorer's per path) shares its JSON and digest instead of
   * writing and hashing them again, which was a quarter of a path's cost. The same attributes always
   * come in the same order ({@link #resolve} writes them), so equal trees have equal JSON.
   */
  private static final Map<List<Object>, Structure> STRUCTURES = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<List<Object>, Structure> eldest) {
      return size() > 32;
    }
  };

  /** Whether the resolved tree depends on the parameters: forEach items, or conditions the plan asks. */
  private static boolean dependsOnParams(List<dev.runbook4j.Node> defs) {
    for (dev.runbook4j.Node n : defs) {
      if (n instanceof ForEach<?, ?> || n instanceof Choice<?> || n.when().isPresent()
          || (n instanceof Wait<?> w && w.durationValue().isPresent())
          || (n instanceof Group<?> g && dependsOnParams(g.nodes()))
          || (n instanceof Parallel<?> p && p.branches().stream().anyMatch(b -> b.when().isPresent()
              || dependsOnParams(b.nodes())))) {
        return true;
      }
    }
    return false;
  }

  /** What a plan knows of a run: its parameters, nothing it does. */
  private static final class Undecided extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Undecided() {
      super("not known when the plan is made", null, false, false);
    }
  }

  /** The context a plan asks conditions in: the parameters and the runbook's name, nothing else. */
  private record PlanContext(String runbook, Object params) implements RunContext<Object> {
    @Override
    public String runId() {
      throw new Undecided();
    }

    @Override
    public String requester() {
      throw new Undecided();
    }

    @Override
    public java.time.Clock clock() {
      throw new Undecided();
    }

    @Override
    public <T> T output(StepKey<T> key) {
      throw new Undecided();
    }

    @Override
    public Object output(String stepName) {
      throw new Undecided();
    }

    @Override
    public java.util.Optional<Object> findOutput(String stepName) {
      throw new Undecided();
    }

    @Override
    public <I> I item(Class<I> type) {
      throw new Undecided();
    }
  }

  /**
   * What the plan can tell of {@code w} from the parameters alone: TRUE or FALSE, or null (with
   * {@code why} saying so) when it reads what only the run knows.
   */
  @SuppressWarnings("unchecked")
  private static Boolean decide(When<?> w, PlanContext ctx, String[] why) {
    if (ctx == null) {
      why[0] = "when reached";
      return null;
    }
    try {
      return ((When<Object>) w).condition().test(ctx);
    } catch (Exception | LinkageError | StackOverflowError e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof Undecided) {
          why[0] = "when reached";
          return null;
        }
      }
      // no message: it may show a parameter's secret
      why[0] = "when reached (asked now, it failed: " + e.getClass().getSimpleName() + ")";
      return null;
    }
  }

  /**
   * A wait's duration taken from the run, as the plan shows it: resolved from the parameters when it
   * reads only them ({@code "10m (params.soak)"}), else {@code "params.soak, when reached"}.
   *
   * @throws RunbookDefinitionException when the parameters give a duration that is not positive
   */
  @SuppressWarnings("unchecked")
  private static String resolvedDuration(Wait<?> w, String id, PlanContext ctx) {
    if (ctx == null) {
      return w.durationText() + ", when reached";
    }
    java.time.Duration d;
    try {
      d = ((Wait<Object>) w).durationValue().orElseThrow().value(ctx);
    } catch (Exception | LinkageError e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof Undecided) {
          return w.durationText() + ", when reached";
        }
      }
      return w.durationText() + ", when reached (asked now, it failed: " + e.getClass().getSimpleName() + ")";
    }
    if (d == null || d.isNegative() || d.isZero()) {
      throw new RunbookDefinitionException("Runbook '" + ctx.runbook() + "' with these parameters", List.of(
          (w.kind() == Wait.Kind.BAKE ? "bake" : "sleep") + " '" + id + "': duration (" + w.durationText()
              + ") must be positive, was " + (d == null ? "nothing" : Durations.format(d))));
    }
    return Durations.format(d) + " (" + w.durationText() + ")";
  }

  /** Adds {@code def}'s condition, and what the plan knows of it, to its attributes. */
  private static void condition(dev.runbook4j.Node def, Map<String, String> a, PlanContext ctx) {
    def.when().ifPresent(w -> {
      a.put("when", w.description());
      String[] why = new String[1];
      Boolean held = decide(w, ctx, why);
      a.put("decision", held == null ? why[0] : held ? "runs" : "skipped");
    });
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static List<Node> resolve(List<dev.runbook4j.Node> defs, String path, Object params, PlanContext ctx,
      List<String> pnr) {
    List<Node> out = new ArrayList<>();
    for (dev.runbook4j.Node def : defs) {
      String id = path.isEmpty() ? def.name() : path + "/" + def.name();
      Map<String, String> a = new LinkedHashMap<>();
      if (def instanceof Succeed<?> s) {
        a.put("reason", s.reason());
        out.add(new Node(id, "succeed", a, List.of()));
        continue;
      }
      if (!def.description().isEmpty()) {
        a.put("description", def.description());
      }
      condition(def, a, ctx);
      if (def instanceof Step<?, ?> s) {
        s.channel().ifPresent(ch -> a.put("notify", ch));
        a.put("undo", s.reversibility() == Reversibility.COMPENSATED ? "compensate"
            : s.reversibility() == Reversibility.READ_ONLY ? "read-only" : "IRREVERSIBLE (point of no return)");
        a.put("retry", s.retry() + (s.retryInherited() ? " (runbook default)" : ""));
        s.timeout().ifPresent(t -> a.put("timeout", Durations.format(t) + (s.timeoutInherited() ? " (runbook default)" : "")));
        a.put("onFailure", s.onFailure().name().toLowerCase(java.util.Locale.ROOT));
        if (!s.failureRules().isEmpty()) {
          a.put("failureRules", String.join(", ", s.failureRules().stream().map(FailureRule::toString).toList()));
        }
        s.circuitBreaker().ifPresent(cb -> a.put("circuitBreaker", cb));
        if (!s.policies().isEmpty()) {
          a.put("policies", String.join(", ", s.policies().stream().map(Object::toString).toList()));
        }
        if (s.reversibility() == Reversibility.COMPENSATED) {
          a.put("compensationRetry", s.compensationRetry().toString());
          if (!s.compensationTimeout().equals(s.timeout())) {
            s.compensationTimeout().ifPresent(t -> a.put("compensationTimeout", Durations.format(t)));
          }
          if (s.onCompensationFailure() == OnCompensationFailure.STOP) {
            a.put("onCompensationFailure", "stop the rollback");
          }
        }
        if (s.reversibility() == Reversibility.IRREVERSIBLE) {
          pnr.add(id);
        }
        out.add(new Node(id, "step", a, List.of()));
      } else if (def instanceof Gate<?> g) {
        g.approval().ifPresentOrElse(ap -> a.put("approval", ap.toString()), () -> {
          a.put("check", "every " + Durations.format(g.every()));
        });
        g.timeout().ifPresent(t -> a.put("timeout", Durations.format(t)));
        a.put("onFailure", g.onFailure().name().toLowerCase(java.util.Locale.ROOT));
        out.add(new Node(id, "gate", a, List.of()));
      } else if (def instanceof Wait<?> w) {
        switch (w.kind()) {
          case SLEEP, BAKE -> a.put("duration", w.duration() != null ? Durations.format(w.duration())
              : resolvedDuration(w, id, ctx));
          default -> {
            a.put("every", Durations.format(w.every()));
            a.put("timeout", Durations.format(w.duration()));
          }
        }
        w.skippableBy().ifPresent(sb -> a.put("skippableBy", sb.toString()));
        String kind = w.kind() == Wait.Kind.SLEEP ? "sleep" : w.kind() == Wait.Kind.BAKE ? "bake" : "waitUntil";
        out.add(new Node(id, kind, a, List.of()));
      } else if (def instanceof Group<?> g) {
        List<Node> children = new ArrayList<>(watches((List) g.watches(), id));
        children.addAll(resolve(g.nodes(), id, params, ctx, pnr));
        out.add(new Node(id, "group", a, children));
      } else if (def instanceof Parallel<?> p) {
        List<Node> branches = new ArrayList<>();
        for (Group<?> b : p.branches()) {
          String bid = id + "/" + b.name();
          List<Node> children = new ArrayList<>(watches((List) b.watches(), bid));
          children.addAll(resolve(b.nodes(), bid, params, ctx, pnr));
          Map<String, String> ba = new LinkedHashMap<>();
          if (!b.description().isEmpty()) {
            ba.put("description", b.description());
          }
          condition(b, ba, ctx);
          branches.add(new Node(bid, "branch", ba, children));
        }
        if (!p.failFast()) {
          a.put("failFast", "false: the other branches finish before a failure rolls back");
        }
        out.add(new Node(id, "parallel", a, branches));
      } else if (def instanceof Choice<?> c) {
        List<Node> options = new ArrayList<>();
        boolean taken = false;  // an option before this one is known to be taken
        boolean unknown = false;  // an option before this one is decided only when the run reaches it
        for (Group<?> o : c.options()) {
          String oid = id + "/" + o.name();
          Map<String, String> oa = new LinkedHashMap<>();
          if (!o.description().isEmpty()) {
            oa.put("description", o.description());
          }
          oa.put("when", o.when().map(When::description).orElse("otherwise"));
          String decision;
          if (taken) {
            decision = "not taken";
          } else if (unknown) {
            decision = "when reached";
          } else if (o.when().isEmpty()) {
            decision = "taken";
            taken = true;
          } else {
            String[] why = new String[1];
            Boolean held = decide(o.when().get(), ctx, why);
            if (held == null) {
              decision = why[0];
              unknown = true;
            } else {
              decision = held ? "taken" : "not taken";
              taken = held;
            }
          }
          oa.put("decision", decision);
          options.add(new Node(oid, "option", oa, resolve(o.nodes(), oid, params, ctx, pnr)));
        }
        out.add(new Node(id, "choose", a, options));
      } else if (def instanceof ForEach<?, ?> f) {
        List<?> items = ((ForEach) f).items().items(params);
        a.put("items", items == null ? "[]" : items.stream().map(String::valueOf).toList().toString());
        a.put("maxConcurrency", String.valueOf(f.maxConcurrency()));
        a.put("maxErrors", String.valueOf(f.maxErrors()));
        out.add(new Node(id, "forEach", a, resolve(f.nodes(), id + "[*]", params, null, pnr)));
      }
    }
    return out;
  }

  private static List<Node> watches(List<? extends Watch<?>> ws, String path) {
    List<Node> out = new ArrayList<>();
    for (Watch<?> w : ws) {
      String id = path.isEmpty() ? w.name() : path + "/" + w.name();
      out.add(new Node(id, "watch", Map.of("every", Durations.format(w.every())), List.of()));
    }
    return out;
  }

  private static String render(Object params) {
    if (params == null) {
      return "{}";
    }
    try {
      return params instanceof String str ? dev.runbook4j.spi.EventCodec.inOrder(str)
          : dev.runbook4j.spi.EventCodec.json(params);
    } catch (RuntimeException e) {
      return String.valueOf(params);
    }
  }

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  });

  private static String sha256(String s) {
    MessageDigest md = SHA256.get();
    md.reset();
    return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  public String runbook() {
    return runbook;
  }

  public String description() {
    return description;
  }

  /** The parameters as JSON. */
  /** The code the plan's actions run ({@link Runbook#code()}), or "". */
  public String code() {
    return code;
  }

  public String params() {
    return params;
  }

  /** The lock keys the run takes, in order. */
  public List<String> locks() {
    return locks;
  }

  /** The queue policy of each lock, in the order of {@link #locks()}. */
  public List<LockPolicy> lockPolicies() {
    return lockPolicies;
  }

  /** A lock as plans show it: its key, and its policy unless FIFO. */
  private String lockLabel(int i) {
    LockPolicy p = lockPolicies.get(i);
    return p == LockPolicy.FIFO ? locks.get(i) : locks.get(i) + " (" + p.label() + ")";
  }

  /**
   * The messages runs send at their moments, as {@code "succeeded → oncall"}.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public List<String> hooks() {
    return hooks;
  }

  /**
   * The gate the rollback waits at before it undoes anything, if the runbook has one.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public java.util.Optional<Node> rollbackGate() {
    return java.util.Optional.ofNullable(rollbackGate);
  }

  /** The runbook-level watches (group watches are children of their group). */
  public List<Node> watches() {
    return watches;
  }

  public List<Node> nodes() {
    return nodes;
  }

  /** The ids of the irreversible steps. */
  public List<String> pointsOfNoReturn() {
    return pointsOfNoReturn;
  }

  /** The plan's SHA-256, hex: the same definition and parameters always give the same hash. */
  public String hash() {
    return hash;
  }

  /** Every step id of the plan, in definition order (forEach bodies as {@code name[*]/step}). */
  public List<String> stepIds() {
    List<String> ids = new ArrayList<>();
    collect(nodes, ids);
    return ids;
  }

  private static void collect(List<Node> ns, List<String> ids) {
    for (Node n : ns) {
      if (n.kind().equals("step")) {
        ids.add(n.id());
      }
      collect(n.children(), ids);
    }
  }

  /** The plan as an indented text tree, one node a line, ending with the hash. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append("Plan for runbook '").append(runbook).append("'");
    if (!description.isEmpty()) {
      sb.append(" — ").append(description);
    }
    sb.append('\n').append("  params: ").append(params).append('\n');
    if (!code.isEmpty()) {
      sb.append("  code: ").append(code).append('\n');
    }
    if (!locks.isEmpty()) {
      sb.append("  locks: ");
      for (int i = 0; i < locks.size(); i++) {
        sb.append(i == 0 ? "" : ", ").append(lockLabel(i));
      }
      sb.append('\n');
    }
    if (timeout != null) {
      sb.append("  timeout: ").append(timeout).append(" (from the run's start; then it rolls back)\n");
    }
    if (!hooks.isEmpty()) {
      sb.append("  messages: ").append(String.join(", ", hooks)).append('\n');
    }
    for (Node w : watches) {
      line(sb, w, 1);
    }
    text(sb, nodes, 1);
    if (rollbackGate != null) {
      sb.append("  before the rollback:\n");
      line(sb, rollbackGate, 2);
    }
    if (!pointsOfNoReturn.isEmpty()) {
      sb.append("  points of no return: ").append(String.join(", ", pointsOfNoReturn)).append('\n');
    }
    sb.append("  hash: ").append(hash).append('\n');
    return sb.toString();
  }

  private static void text(StringBuilder sb, List<Node> ns, int depth) {
    for (Node n : ns) {
      line(sb, n, depth);
      text(sb, n.children(), depth + 1);
    }
  }

  private static void line(StringBuilder sb, Node n, int depth) {
    sb.append("  ".repeat(depth)).append(n.kind()).append(' ').append(n.id());
    if (!n.attributes().isEmpty()) {
      sb.append("  [");
      boolean first = true;
      for (Map.Entry<String, String> e : n.attributes().entrySet()) {
        sb.append(first ? "" : "; ").append(e.getKey()).append(": ").append(e.getValue());
        first = false;
      }
      sb.append(']');
    }
    sb.append('\n');
  }

  /** The plan as pretty-printed JSON, hash included. */
  public String toJson() {
    try {
      return dev.runbook4j.spi.EventCodec.prettyInOrder(toJsonTree());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("plan of '" + runbook + "' cannot be written as JSON", e);
    }
  }

  private Map<String, Object> toJsonTree() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("runbook", runbook);
    root.put("description", description);
    if (!code.isEmpty()) {
      root.put("code", code);
    }
    Object p;
    try {
      p = dev.runbook4j.spi.EventCodec.parse(params);
    } catch (IllegalArgumentException e) {
      p = params;
    }
    root.put("params", p);
    List<String> l = new ArrayList<>();
    for (int i = 0; i < locks.size(); i++) {
      l.add(lockLabel(i));
    }
    root.put("locks", l);
    if (!hooks.isEmpty()) {
      root.put("messages", hooks);
    }
    if (timeout != null) {
      root.put("timeout", timeout);
    }
    root.put("watches", array(watches));
    root.put("nodes", array(nodes));
    root.put("pointsOfNoReturn", pointsOfNoReturn);
    if (rollbackGate != null) {
      root.put("beforeRollback", array(List.of(rollbackGate)).get(0));
    }
    root.put("hash", hash);
    return root;
  }

  private static List<Object> array(List<Node> ns) {
    return array(ns, true);
  }

  private static List<Object> array(List<Node> ns, boolean decisions) {
    List<Object> arr = new ArrayList<>();
    for (Node n : ns) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("id", n.id());
      o.put("kind", n.kind());
      Map<String, String> a = new LinkedHashMap<>(n.attributes());
      if (!decisions) {
        a.remove("decision");
      }
      o.put("attributes", a);
      if (!n.children().isEmpty()) {
        o.put("children", array(n.children(), decisions));
      }
      arr.add(o);
    }
    return arr;
  }

  /** The plan as a Mermaid flowchart: groups and branches as subgraphs, points of no return in red. */
  public String toMermaid() {
    StringBuilder sb = new StringBuilder("flowchart TD\n");
    sb.append("  start((\"").append(runbook).append("\"))\n");
    Map<String, Integer> ids = new LinkedHashMap<>();
    sb.append("  done((done))\n");
    String last = mermaid(sb, nodes, "start", ids, 1);
    if (last != null) {
      sb.append("  ").append(last).append(" --> done\n");
    }
    for (String id : pointsOfNoReturn) {
      sb.append("  style ").append(mid(id, ids)).append(" fill:#fdd,stroke:#c00\n");
    }
    return sb.toString();
  }

  /** Draws {@code ns} after {@code prev}; the last node drawn, or null when they end the run (succeed). */
  private static String mermaid(StringBuilder sb, List<Node> ns, String prev, Map<String, Integer> ids, int depth) {
    String ind = "  ".repeat(depth);
    for (Node n : ns) {
      String id = mid(n.id(), ids);
      switch (n.kind()) {
        case "choose" -> {
          String ask = id + "_ask";
          String join = id + "_join";
          sb.append(ind).append(ask).append("{\"choose ").append(esc(n.id())).append("\"}\n");
          sb.append(ind).append(prev).append(" --> ").append(ask).append('\n');
          List<String> ends = new ArrayList<>();
          for (Node o : n.children()) {
            String oid = mid(o.id(), ids);
            String in = oid + "_in";
            sb.append(ind).append("subgraph ").append(oid).append("_g[\"").append(esc(o.id())).append("\"]\n");
            sb.append(ind).append("  ").append(in).append("[ ]\n");
            String end = mermaid(sb, o.children(), in, ids, depth + 1);
            sb.append(ind).append("end\n");
            String decision = o.attributes().getOrDefault("decision", "");
            sb.append(ind).append(ask).append(" -->|\"").append(esc(o.attributes().get("when")))
                .append(decision.equals("taken") || decision.equals("not taken") ? " (" + decision + ")" : "")
                .append("\"| ").append(in).append('\n');
            if (end != null) {
              ends.add(end);
            }
          }
          if (ends.isEmpty()) {
            return null;
          }
          sb.append(ind).append(join).append("{{join}}\n");
          for (String e : ends) {
            sb.append(ind).append(e).append(" --> ").append(join).append('\n');
          }
          prev = join;
        }
        case "succeed" -> {
          sb.append(ind).append(id).append("([\"succeed: ").append(esc(n.attributes().get("reason"))).append("\"])\n");
          sb.append(ind).append(prev).append(" --> ").append(id).append('\n');
          sb.append(ind).append(id).append(" --> done\n");
          return null;
        }
        case "group", "forEach" -> {
          String label = (n.kind().equals("forEach") ? "forEach " + n.id() + " " + n.attributes().get("items") : n.id())
              + whenLabel(n);
          sb.append(ind).append("subgraph ").append(id).append("_g[\"").append(esc(label)).append("\"]\n");
          String in = id + "_in";
          sb.append(ind).append("  ").append(in).append("[ ]\n");
          String end = mermaid(sb, n.children(), in, ids, depth + 1);
          sb.append(ind).append("end\n");
          sb.append(ind).append(prev).append(" --> ").append(in).append('\n');
          prev = end != null ? end : in;  // a group that can end the run: what follows it runs when it is skipped
        }
        case "parallel" -> {
          String fork = id + "_fork";
          String join = id + "_join";
          sb.append(ind).append(fork).append("{{\"").append(esc(n.id())).append("\"}}\n");
          sb.append(ind).append(prev).append(" --> ").append(fork).append('\n');
          List<String> ends = new ArrayList<>();
          for (Node b : n.children()) {
            String bid = mid(b.id(), ids);
            sb.append(ind).append("subgraph ").append(bid).append("_g[\"").append(esc(b.id())).append("\"]\n");
            ends.add(mermaid(sb, b.children(), fork, ids, depth + 1));
            sb.append(ind).append("end\n");
          }
          sb.append(ind).append(join).append("{{join}}\n");
          for (String e : ends) {
            sb.append(ind).append(e).append(" --> ").append(join).append('\n');
          }
          prev = join;
        }
        case "watch" -> sb.append(ind).append(id).append("[/\"watch ").append(esc(n.id())).append("\"/]\n");
        default -> {
          String label = n.kind() + " " + n.id() + whenLabel(n);
          String shape = n.kind().equals("gate") ? "{\"" + esc(label) + "\"}" : "[\"" + esc(label) + "\"]";
          sb.append(ind).append(id).append(shape).append('\n');
          sb.append(ind).append(prev).append(" --> ").append(id).append('\n');
          prev = id;
        }
      }
    }
    return prev;
  }

  private static String whenLabel(Node n) {
    String when = n.attributes().get("when");
    return when == null ? "" : " (when " + when + ")";
  }

  private static String mid(String id, Map<String, Integer> ids) {
    return "n" + ids.computeIfAbsent(id, k -> ids.size() + 1);
  }

  private static String esc(String s) {
    return s.replace("\"", "#quot;");
  }

  @Override
  public String toString() {
    return "Plan[" + runbook + ", " + hash.substring(0, 12) + "]";
  }
}
