package dev.runbook4j.dsl;

import dev.runbook4j.ApprovalSpec;
import groovy.lang.Closure;
import org.apiguardian.api.API;

/**
 * The keywords inside {@code approval { }}; each calls one method of {@link ApprovalSpec.Builder}.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class ApprovalDsl {
  private final ApprovalSpec.Builder approval;

  ApprovalDsl(ApprovalSpec.Builder approval) {
    this.approval = approval;
  }

  /** {@code approvers 'alice', 'bob', 'carol'} */
  public void approvers(String... users) {
    approval.approvers(users);
  }

  /** {@code role('sre') { user -> directory.isSre(user) }} */
  public void role(String role, Closure<?> hasRole) {
    approval.role(role, user -> NodesDsl.truthy(hasRole.call(user)));
  }

  /** {@code minApprovals 2}: distinct approvers needed. */
  /** {@code requesterMayApprove true}: the person who requested the run may approve too (off by default). */
  public void requesterMayApprove(boolean may) {
    approval.requesterMayApprove(may);
  }

  /**
   * {@code options 'proceed', 'hold', 'rollback'}: the approver chooses one as they approve; the choice
   * is the gate's output ({@code output('go')}), for a {@code choose} after it.
   */
  public void options(String... values) {
    approval.options(values);
  }

  public void minApprovals(int n) {
    approval.minApprovals(n);
  }

  /** {@code timeout '4h'}: the gate is rejected when not enough approvals arrived by then. */
  public void timeout(Object timeout) {
    approval.timeout(Dsl.duration(timeout, "approval timeout"));
  }
}
