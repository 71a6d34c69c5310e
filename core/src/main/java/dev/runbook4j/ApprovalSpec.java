package dev.runbook4j;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.apiguardian.api.API;

/**
 * Who may approve a gate and how many must: named approvers and/or a role check, a minimum number
 * of <em>distinct</em> approvals, and an optional timeout after which the gate rejects. The run's
 * requester may never approve their own run; the same person approving twice counts once.
 *
 * <p>This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.STABLE, since = "0.1")
public final class ApprovalSpec {
  private final Set<String> approvers;
  private final String role;
  private final Predicate<String> hasRole;
  private final int minApprovals;
  private final Duration timeout;
  private final boolean requesterMayApprove;
  private final java.util.List<String> options;

  private ApprovalSpec(Builder b) {
    this.requesterMayApprove = b.requesterMayApprove;
    this.options = java.util.List.copyOf(b.options);
    this.approvers = Set.copyOf(b.approvers);
    this.role = b.role;
    this.hasRole = b.hasRole;
    this.minApprovals = b.minApprovals;
    this.timeout = b.timeout;
  }

  /** The named approvers, in no particular order; may be empty when a role is set. */
  public Set<String> approvers() {
    return approvers;
  }

  public Optional<String> role() {
    return Optional.ofNullable(role);
  }

  public int minApprovals() {
    return minApprovals;
  }

  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  /**
   * Whether the person who requested the run may approve its gate too (off by default: four eyes).
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public boolean requesterMayApprove() {
    return requesterMayApprove;
  }

  /**
   * The values the approver chooses one of ({@link Builder#options}); empty when the gate asks none.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public java.util.List<String> options() {
    return options;
  }

  /** Whether {@code user} may approve: a named approver, or holds the role. */
  public boolean mayApprove(String user) {
    return approvers.contains(user) || (hasRole != null && hasRole.test(user));
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder().append(minApprovals).append(" of ");
    if (!approvers.isEmpty()) {
      sb.append(new java.util.TreeSet<>(approvers));
    }
    if (role != null) {
      sb.append(approvers.isEmpty() ? "" : " or ").append("role ").append(role);
    }
    sb.append(requesterMayApprove ? ", requester may approve" : ", requester excluded");
    if (!options.isEmpty()) {
      sb.append(", choosing one of ").append(options);
    }
    if (timeout != null) {
      sb.append(", timeout ").append(Durations.format(timeout));
    }
    return sb.toString();
  }

  /** Configures an {@link ApprovalSpec}. Not threadsafe. */
  public static final class Builder {
    private boolean requesterMayApprove;
    private final java.util.List<String> options = new java.util.ArrayList<>();
    private final Set<String> approvers = new LinkedHashSet<>();
    private String role;
    private Predicate<String> hasRole;
    private int minApprovals = 1;
    private Duration timeout;

    Builder() {}

    /** Names people who may approve. */
    public Builder approvers(String... users) {
      for (String u : users) {
        approvers.add(Objects.requireNonNull(u, "approver"));
      }
      return this;
    }

    /** Lets anyone for whom {@code hasRole} answers true approve, shown as {@code role} in the plan. */
    public Builder role(String role, Predicate<String> hasRole) {
      this.role = Objects.requireNonNull(role, "role");
      this.hasRole = Objects.requireNonNull(hasRole, "hasRole");
      return this;
    }

    /**
     * Lets the person who requested the run approve its gate too, where a team's policy allows it
     * (a one-person on-call, a rollback's confirmation); journaled like any approval. Off by default.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder requesterMayApprove(boolean may) {
      this.requesterMayApprove = may;
      return this;
    }

    /** How many distinct people must approve (default 1). */
    public Builder minApprovals(int n) {
      this.minApprovals = n;
      return this;
    }

    /**
     * The approver chooses one of {@code values} as they approve ("proceed", "hold", "rollback" —
     * Spinnaker's judgment inputs); the choice is journaled with the approval and is the gate's
     * output, readable by later nodes as {@code ctx.output("gate-name")} (a {@code choose} over it,
     * say). A gate with options takes one approval.
     *
     * @since 0.9
     */
    @API(status = API.Status.EXPERIMENTAL, since = "0.9")
    public Builder options(String... values) {
      for (String v : values) {
        options.add(Objects.requireNonNull(v, "option"));
      }
      return this;
    }

    /** Rejects the gate when not enough approvals arrived within {@code timeout}. */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    ApprovalSpec build(String subject, java.util.List<String> problems) {
      if (approvers.isEmpty() && role == null) {
        problems.add(subject + " approval names no approvers and no role; add approvers(...) or role(...)");
      }
      if (minApprovals < 1) {
        problems.add(subject + " approval minApprovals must be at least 1, was " + minApprovals);
      } else if (role == null && minApprovals > approvers.size() && !approvers.isEmpty()) {
        problems.add(subject + " approval needs " + minApprovals + " distinct approvals but names only "
            + approvers.size() + " approvers");
      }
      if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
        problems.add(subject + " approval timeout must be positive, was " + Durations.format(timeout));
      }
      if (!options.isEmpty() && minApprovals > 1) {
        problems.add(subject + " approval has options and needs " + minApprovals + " approvals; whose choice would"
            + " count? A gate with options takes one approval");
      }
      if (options.size() != new java.util.HashSet<>(options).size()) {
        problems.add(subject + " approval has an option twice: " + options);
      }
      return new ApprovalSpec(this);
    }
  }
}
