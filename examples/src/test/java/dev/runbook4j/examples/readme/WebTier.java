package dev.runbook4j.examples.readme;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The services the guide's {@code deploy-web} script calls, recording each call in one log. */
public final class WebTier {
  public final List<String> log = new CopyOnWriteArrayList<>();
  public final Registry registry = new Registry();
  public final Alarms alarms = new Alarms();
  public final Lb lb = new Lb();
  public final Router router = new Router();
  public final Hosts hosts = new Hosts();

  public final class Registry {
    public String publish(String version, String idempotencyKey) {
      log.add("publish " + version);
      return "artifact-" + version;
    }

    public void unpublish(Object artifact) {
      log.add("unpublish " + artifact);
    }
  }

  public final class Alarms {
    public boolean ok(String alarm) {
      return true;
    }
  }

  public final class Lb {
    public boolean healthy(Object artifact) {
      return artifact != null;
    }
  }

  public final class Router {
    public void shift(String where, Number percent) {
      log.add("shift " + where + " " + percent);
    }
  }

  public final class Hosts {
    public void restart(Object host) {
      log.add("restart " + host);
    }
  }
}
