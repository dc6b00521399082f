package dev.rotor.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpuSampleTest {

  @Test
  void parsesTheAggregateLineOfProcStat() {
    // user nice system idle iowait irq softirq steal guest guest_nice
    long[] t = CpuSample.parseCpuLine("cpu  100 5 20 800 50 1 2 3 7 0");
    assertThat(t).containsExactly(131, 981);
  }

  @Test
  void ignoresOtherLines() {
    assertThat(CpuSample.parseCpuLine("cpu0 1 2 3 4 5")).isNull();
    assertThat(CpuSample.parseCpuLine("intr 1 2 3")).isNull();
  }

  @Test
  void busyFractionBetweenTwoSamples() {
    CpuSample a = new CpuSample(1_000_000_000L, 100, 1000);
    CpuSample b = new CpuSample(3_500_000_000L, 400, 1400);
    assertThat(b.machineBusySince(a)).isEqualTo(0.75);
    assertThat(b.processSecondsSince(a)).isEqualTo(2.5);
    assertThat(b.machineBusySince(new CpuSample(-1, -1, -1))).isEqualTo(-1);
    assertThat(b.processSecondsSince(new CpuSample(-1, -1, -1))).isEqualTo(-1);
  }
}
