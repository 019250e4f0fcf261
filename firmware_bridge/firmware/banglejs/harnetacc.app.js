// harnet-edge accelerometer stream for Bangle.js 2 (format v1, spec: firmware_bridge/BANGLEJS.md).
// Streams x, y, z as int16 (4096 counts per g) at 25 Hz, two samples per 18-byte notification,
// on a custom GATT service, while a host is connected. Upload with the Espruino Web IDE
// ("Storage" -> harnetacc.app.js) or the App Loader; BTN1 exits and restores the defaults.
var SERVICE = "4a1e0001-2b3c-4d5e-8f70-1b2c3d4e5f60";
var DATA = "4a1e0002-2b3c-4d5e-8f70-1b2c3d4e5f60";
var INFO = "4a1e0003-2b3c-4d5e-8f70-1b2c3d4e5f60";
var RATE_HZ = 25, COUNTS_PER_G = 4096, RANGE_G = 4;   // Espruino reports g for the default +-4 g range

var packet = new DataView(new ArrayBuffer(18));
var seq = 0, filled = 0, connected = false, sent = 0;

function setAccel25Hz() {
  // KX022: stop (PC1 bit 7 = 0), ODCNTL = 25 Hz with the ODR/2 low-pass (0x40 | 0x01), restart.
  Bangle.accelWr(0x18, 0x6C);
  Bangle.accelWr(0x1B, 0x41);
  Bangle.accelWr(0x18, 0xEC);
  Bangle.setPollInterval(1000 / RATE_HZ);
}

function restoreAccel() {
  Bangle.accelWr(0x18, 0x6C);
  Bangle.accelWr(0x1B, 0x00);   // 12.5 Hz, the firmware default
  Bangle.accelWr(0x18, 0xEC);
  Bangle.setPollInterval(80);
}

function clip(v) { v = Math.round(v * COUNTS_PER_G); return v > 32767 ? 32767 : (v < -32768 ? -32768 : v); }

function onAccel(a) {
  if (!connected) return;
  if (filled === 0) {
    packet.setUint16(0, seq & 0xFFFF, true);
    packet.setUint32(2, Math.floor(getTime() * 1000) % 4294967296, true);  // device ms, first sample
  }
  var o = 6 + filled * 6;
  packet.setInt16(o, clip(a.x), true);
  packet.setInt16(o + 2, clip(a.y), true);
  packet.setInt16(o + 4, clip(a.z), true);
  if (++filled < 2) return;
  filled = 0;
  seq++;
  var svc = {};
  svc[SERVICE] = {};
  svc[SERVICE][DATA] = { value: packet.buffer, notify: true };
  try { NRF.updateServices(svc); sent++; } catch (e) { /* link busy or gone: the sequence shows the hole */ }
}

var services = {};
services[SERVICE] = {};
services[SERVICE][DATA] = { value: new Uint8Array(18).buffer, maxLen: 18, notify: true, readable: true };
// version 1, rate Hz, counts per g (u16 LE), range g
services[SERVICE][INFO] = { value: [1, RATE_HZ, COUNTS_PER_G & 0xFF, COUNTS_PER_G >> 8, RANGE_G], readable: true };
NRF.setServices(services, { advertise: [SERVICE], uart: true });

NRF.on("connect", function () { connected = true; seq = 0; filled = 0; });
NRF.on("disconnect", function () { connected = false; });

Bangle.setOptions({ powerSave: false });
setAccel25Hz();
Bangle.on("accel", onAccel);

g.clear();
g.setFont("6x8", 2).setFontAlign(0, 0);
g.drawString("harnet-edge\n25 Hz stream", g.getWidth() / 2, g.getHeight() / 2);
setInterval(function () {
  g.clearRect(0, g.getHeight() - 20, g.getWidth(), g.getHeight());
  g.drawString((connected ? "sent " + sent : "waiting"), g.getWidth() / 2, g.getHeight() - 10);
}, 1000);
setWatch(function () { restoreAccel(); Bangle.removeListener("accel", onAccel); load(); }, BTN1, { edge: "falling" });
