// harnet-edge live dashboard: one event stream (/events), a card per device, no libraries.
"use strict";
const devices = new Map();          // key -> {data, bands, el}
const labels = new Set();
let span = Number(new URLSearchParams(location.search).get("span")) || 3600;
let clockSkew = 0;                  // server time - browser time, from the last snapshot

function colour(label) {
  if (label === "not classified") return "#b0b7c3";
  let h = 0;
  for (const c of label) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `hsl(${(h * 137.508) % 360}, 62%, 52%)`;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function card(key) {
  let d = devices.get(key);
  if (d) return d;
  const root = el("article", "card");
  root.dataset.key = key;
  root.innerHTML = '<h2></h2><div class="now"><span class="label">–</span><span class="conf"></span></div>' +
    '<div class="timeline" role="img"></div><div class="axis"><span class="from"></span><span>now</span></div>' +
    '<div class="stats"><span>loss<b class="loss"></b></span><span>gaps<b class="gaps"></b></span>' +
    '<span>reconnects<b class="rec"></b></span><span>latency<b class="lat"></b></span></div><div class="event"></div>';
  document.getElementById("empty")?.remove();
  const main = document.getElementById("devices");
  const after = [...main.children].find(c => c.dataset.key > key);
  main.insertBefore(root, after || null);
  d = {data: {}, bands: [], el: root};
  devices.set(key, d);
  return d;
}

function addBand(d, band) {
  const last = d.bands[d.bands.length - 1];
  if (last && last[2] === band[2] && band[0] <= last[1] + 0.5) last[1] = band[1];
  else d.bands.push(band.slice());
}

function render(d) {
  const s = d.data, root = d.el, q = c => root.querySelector(c);
  q("h2").innerHTML = "";
  q("h2").append(s.device, " ", el("small", "", "@ " + s.gateway));
  q(".label").textContent = s.label || "–";
  q(".label").style.color = s.label ? colour(s.label) : "";
  q(".conf").textContent = s.confidence == null ? "" : Math.round(100 * s.confidence) + " %";
  q(".loss").textContent = `${s.packets_lost} pkt`;
  q(".gaps").textContent = s.gaps;
  q(".rec").textContent = s.reconnects;
  q(".lat").textContent = s.latency_p50_ms == null ? "–" : s.latency_p50_ms.toFixed(1) + " ms";
  q(".event").textContent = s.last_event ? "last: " + s.last_event : "";
  drawTimeline(d);
}

function drawTimeline(d) {
  const now = Date.now() / 1000 + clockSkew, from = now - span, line = d.el.querySelector(".timeline");
  d.bands = d.bands.filter(b => b[1] >= now - 3600);
  line.replaceChildren(...d.bands.filter(b => b[1] > from).map(([a, b, label]) => {
    const seg = el("div");
    seg.style.left = (100 * Math.max(0, a - from) / span) + "%";
    seg.style.width = Math.max(0.2, 100 * (b - Math.max(a, from)) / span) + "%";
    seg.style.background = colour(label);
    seg.title = label;
    return seg;
  }));
  d.el.querySelector(".from").textContent = span >= 3600 ? "−1 h" : span >= 600 ? "−10 min" : "−1 min";
}

function legend(label) {
  if (!label || labels.has(label)) return;
  labels.add(label);
  const item = el("span");
  const swatch = el("i");
  swatch.style.background = colour(label);
  item.append(swatch, label);
  document.getElementById("legend").append(item);
}

function gateway(g) {
  const box = document.getElementById("gateways");
  let pill = [...box.children].find(p => p.dataset.gateway === g.gateway);
  if (!pill) { pill = el("span", "pill"); pill.dataset.gateway = g.gateway; box.append(pill); }
  pill.textContent = `${g.gateway}: ${g.state}`;
  pill.className = "pill " + (g.state === "online" ? "ok" : "bad");
}

function onDevice(s) {
  const d = card(s.key);
  d.data = s;
  if (s.band) addBand(d, s.band);
  legend(s.label);
  render(d);
}

function connect() {
  const link = document.getElementById("link");
  const source = new EventSource("/events");
  source.addEventListener("snapshot", e => {
    const snap = JSON.parse(e.data);
    clockSkew = snap.now - Date.now() / 1000;
    document.getElementById("title").textContent = snap.title;
    snap.gateways.forEach(gateway);
    for (const s of snap.devices) {
      const d = card(s.key);
      d.bands = s.bands;
      d.data = s;
      legend(s.label);
      s.bands.forEach(b => legend(b[2]));
      render(d);
    }
    link.textContent = "live"; link.className = "pill ok";
  });
  source.addEventListener("device", e => onDevice(JSON.parse(e.data)));
  source.addEventListener("gateway", e => gateway(JSON.parse(e.data)));
  source.onerror = () => { link.textContent = "reconnecting…"; link.className = "pill bad"; };
}

document.querySelectorAll("#span button").forEach(b => {
  b.classList.toggle("on", Number(b.dataset.span) === span);
  b.onclick = () => {
    span = Number(b.dataset.span);
    document.querySelectorAll("#span button").forEach(x => x.classList.toggle("on", x === b));
    devices.forEach(drawTimeline);
  };
});
setInterval(() => devices.forEach(drawTimeline), 1000);
connect();
