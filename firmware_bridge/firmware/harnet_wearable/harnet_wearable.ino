// harnet-edge reference profile v1 (firmware_bridge/PROFILE.md) for nRF52840 boards with an
// on-board LSM6DS3/LSM6DS3TR-C IMU (Arduino Nano 33 BLE Sense Rev2 has a BMI270: swap the driver;
// Seeed XIAO nRF52840 Sense: LSM6DS3TR-C) and ESP32-S3 with an external LSM6DS3 on I2C.
// Libraries: ArduinoBLE, Seeed_Arduino_LSM6DS3 (or your IMU's). Not built in CI: no toolchain here.
#include <ArduinoBLE.h>
#include <LSM6DS3.h>
#include <Wire.h>

static const uint8_t PROFILE_VERSION = 1;
static const uint16_t RATE_CENTI_HZ = 5200;   // 52 Hz: an IMU output data rate >= 30 Hz
static const uint16_t COUNTS_PER_G = 4096;    // int16 counts for +-8 g
static const uint8_t RANGE_G = 8;
static const uint8_t MAX_SAMPLES = 31;

BLEService service("7b1e0001-5c3a-4f8e-9d2b-6a4e8c1f0a11");
BLECharacteristic dataChar("7b1e0002-5c3a-4f8e-9d2b-6a4e8c1f0a11", BLENotify, 7 + 6 * MAX_SAMPLES);
BLECharacteristic infoChar("7b1e0003-5c3a-4f8e-9d2b-6a4e8c1f0a11", BLERead, 8);
BLECharacteristic controlChar("7b1e0004-5c3a-4f8e-9d2b-6a4e8c1f0a11", BLEWrite, 3);
LSM6DS3 imu(I2C_MODE, 0x6A);

uint8_t packet[7 + 6 * MAX_SAMPLES];
uint8_t count = 0;
uint16_t sequence = 0;
uint32_t firstSampleMicros = 0;
bool streaming = false;
uint32_t nextSampleMicros = 0;

static void put16(uint8_t *p, uint16_t v) { p[0] = v & 0xFF; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (v >> (8 * i)) & 0xFF; }

static uint8_t samplesPerPacket() {
  // 20-byte payload at the default MTU -> 2 samples; more once the central raises the MTU.
  int payload = BLE.central() ? (int)BLE.central().mtu() - 3 : 20;   // mtu(): ArduinoBLE >= 1.3
  int n = (payload - 7) / 6;
  return n < 1 ? 1 : (n > MAX_SAMPLES ? MAX_SAMPLES : n);
}

static void onControl(BLEDevice, BLECharacteristic c) {
  const uint8_t *v = c.value();
  if (c.valueLength() >= 1 && v[0] == 0x01) { streaming = true; count = 0; }
  if (c.valueLength() >= 1 && v[0] == 0x02) { streaming = false; }
  // 0x03 set rate: this sketch keeps its fixed rate; the host re-reads stream info.
}

void setup() {
  imu.settings.accelRange = 8;
  imu.settings.accelSampleRate = 104;
  imu.begin();
  BLE.begin();
  BLE.setLocalName("HE-Wearable");
  BLE.setAdvertisedService(service);
  uint8_t info[8] = {PROFILE_VERSION, 0, 0, 0, 0, RANGE_G, 1, 0};
  put16(info + 1, RATE_CENTI_HZ);
  put16(info + 3, COUNTS_PER_G);
  infoChar.writeValue(info, sizeof(info));
  controlChar.setEventHandler(BLEWritten, onControl);
  service.addCharacteristic(dataChar);
  service.addCharacteristic(infoChar);
  service.addCharacteristic(controlChar);
  BLE.addService(service);
  BLE.advertise();
}

void loop() {
  BLE.poll();
  if (!BLE.connected()) { streaming = false; return; }
  uint32_t now = micros();
  if (!streaming || (int32_t)(now - nextSampleMicros) < 0) return;
  nextSampleMicros = now + 1000000UL * 100 / RATE_CENTI_HZ;
  if (count == 0) firstSampleMicros = now;
  int16_t xyz[3] = {(int16_t)(imu.readFloatAccelX() * COUNTS_PER_G), (int16_t)(imu.readFloatAccelY() * COUNTS_PER_G),
                    (int16_t)(imu.readFloatAccelZ() * COUNTS_PER_G)};
  for (int a = 0; a < 3; a++) put16(packet + 7 + 6 * count + 2 * a, (uint16_t)xyz[a]);
  if (++count >= samplesPerPacket()) {
    packet[0] = (PROFILE_VERSION << 5) | count;
    put16(packet + 1, sequence++);
    put32(packet + 3, firstSampleMicros);
    dataChar.writeValue(packet, 7 + 6 * count);   // a notification; sequence counts dropped ones too
    count = 0;
  }
}
