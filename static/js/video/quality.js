// The connection-quality badge from the peer connection's own statistics (getStats): the
// bitrate we receive, the round trip and the share of packets lost since the last look. Poor
// quality that lasts 10 seconds offers audio only (once; again a minute after "Not now").
const TICK_MS = 2000;
const POOR_FOR_MS = 10000;
const SNOOZE_MS = 60000;
const $ = (id) => document.getElementById(id);

// One reading from a report and the previous totals (kept in `last`): {kbps, rttMs, lossPct}.
export function read(report, last) {
  let rtt = null; let bytes = 0; let lost = 0; let received = 0; let at = null;
  let pairId = null;
  report.forEach((r) => { if (r.type === "transport" && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId; });
  report.forEach((r) => {
    const selected = pairId ? r.id === pairId : r.nominated && r.state === "succeeded";
    if (r.type === "candidate-pair" && selected && r.currentRoundTripTime !== undefined) rtt = r.currentRoundTripTime;
    if (r.type === "inbound-rtp") {
      bytes += r.bytesReceived || 0; lost += r.packetsLost || 0; received += r.packetsReceived || 0;
      at = r.timestamp;
    }
  });
  const reading = { kbps: null, rttMs: rtt === null ? null : Math.round(rtt * 1000), lossPct: 0 };
  if (last.at !== null && at !== null && at > last.at) {
    reading.kbps = Math.round(((bytes - last.bytes) * 8) / (at - last.at));  // bits per ms = kbit/s
    const lostNow = Math.max(0, lost - last.lost);
    const gotNow = Math.max(0, received - last.received);
    reading.lossPct = lostNow + gotNow ? (100 * lostNow) / (lostNow + gotNow) : 0;
  }
  Object.assign(last, { bytes, lost, received, at });
  return reading;
}

// Round trip over 400 ms or more than 5 % of packets lost is poor.
export const isPoor = (r) => (r.rttMs !== null && r.rttMs > 400) || r.lossPct > 5;

// `peer`: stats(); `audioOnly()`: whether audio only is on; `offer()`: show the audio-only offer.
export function watchQuality({ peer, audioOnly, offer }) {
  const last = { bytes: 0, lost: 0, received: 0, at: null };
  let poorSince = null;
  let snoozedUntil = 0;
  const badge = $("quality");

  async function tick() {
    const pending = peer.stats();
    if (!pending) {
      if (last.at !== null) {  // the call dropped or ended: no stale numbers
        badge.textContent = "Connection: checking…";
        badge.className = "badge";
      }
      last.at = null;
      poorSince = null;
      return;
    }
    const r = read(await pending, last);
    if (r.kbps === null) return;  // the first look only sets the totals
    const poor = isPoor(r);
    const rtt = r.rttMs === null ? "–" : `${r.rttMs} ms`;
    badge.textContent = `Connection: ${poor ? "poor" : "good"} · ${r.kbps} kbit/s · ${rtt} · ${r.lossPct.toFixed(1)}% lost`;
    badge.className = `badge ${poor ? "badge-warn" : "badge-ok"}`;
    badge.dataset.kbps = String(r.kbps);
    const now = Date.now();
    poorSince = poor ? (poorSince ?? now) : null;
    if (poorSince !== null && now - poorSince >= POOR_FOR_MS && now >= snoozedUntil && !audioOnly()) {
      snoozedUntil = now + SNOOZE_MS;
      offer();
    }
  }

  const timer = setInterval(tick, TICK_MS);
  return {
    snooze: () => { snoozedUntil = Date.now() + SNOOZE_MS; },
    stop: () => clearInterval(timer),
  };
}
