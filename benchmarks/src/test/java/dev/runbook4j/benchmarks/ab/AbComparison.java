package dev.runbook4j.benchmarks.ab;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Two builds of core in one JVM, each in a class loader of its own, their runs interleaved a slice
 * at a time (A B B A), CPU time per step of the thread: the machine's load falls on both alike, so
 * the ratio B/A holds where a comparison of two separate runs drowns in the noise. Run by
 * {@code benchmarks/ab.sh}; args: classpath A, classpath B, seconds, steps per run.
 */
public final class AbComparison {
  private AbComparison() {}

  public static void main(String[] args) throws Exception {
    int steps = Integer.parseInt(args[3]);
    Method[] run = new Method[2];
    for (int k = 0; k < 2; k++) {
      List<URL> urls = new ArrayList<>();
      for (String p : args[k].split(":")) {
        urls.add(Paths.get(p).toUri().toURL());
      }
      ClassLoader cl = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
      Class<?> c = Class.forName("dev.runbook4j.benchmarks.ab.Slice", true, cl);
      Thread.currentThread().setContextClassLoader(cl);
      c.getMethod("init", int.class).invoke(null, steps);
      run[k] = c.getMethod("run", int.class);
    }
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long end = System.nanoTime() + Long.parseLong(args[2]) * 1_000_000_000L;
    int n = Math.max(1, 10_000 / steps);
    List<Double> ratios = new ArrayList<>();
    double[] sum = new double[2];
    int slices = 0;
    while (System.nanoTime() < end) {
      double[] t = {Double.MAX_VALUE, Double.MAX_VALUE};
      for (int k : new int[] {0, 1, 1, 0}) {
        long c0 = mx.getCurrentThreadCpuTime();
        run[k].invoke(null, n);
        t[k] = Math.min(t[k], (mx.getCurrentThreadCpuTime() - c0) / ((double) n * steps));
      }
      if (++slices > 20) {  // the first ones warm up
        ratios.add(t[1] / t[0]);
        sum[0] += t[0];
        sum[1] += t[1];
      }
    }
    Collections.sort(ratios);
    int m = ratios.size();
    System.out.printf("%d-step runs, %d slice pairs: A %.0f ns/step, B %.0f ns/step; B/A median %.3f (quartiles %.3f, %.3f)%n",
        steps, m, sum[0] / m, sum[1] / m, ratios.get(m / 2), ratios.get(m / 4), ratios.get(3 * m / 4));
  }
}
