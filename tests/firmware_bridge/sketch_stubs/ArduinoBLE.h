// Declarations only (no code): the Arduino, ArduinoBLE, LSM6DS3 and TFLM API the sketch uses, so
// g++ can type-check harnet_wearable.ino on the host (tests/firmware_bridge/test_on_device.py).
#pragma once
#include <stdint.h>
#include <string.h>
#include <stddef.h>
unsigned long micros(void); unsigned long millis(void);
enum BLEProperty { BLERead = 2, BLEWrite = 8, BLENotify = 16 };
enum BLEDeviceEvent { BLEWritten = 1 };
struct BLEDevice { operator bool() const; int mtu(); };
struct BLECharacteristic;
typedef void (*BLECharacteristicEventHandler)(BLEDevice, BLECharacteristic);
struct BLECharacteristic {
  BLECharacteristic(const char *uuid, uint8_t props, int size, bool fixed = false);
  int writeValue(const uint8_t *v, int n, bool withResponse = true);
  int valueLength() const; const uint8_t *value() const; bool subscribed();
  void setEventHandler(int event, BLECharacteristicEventHandler h);
};
struct BLEService { BLEService(const char *uuid); void addCharacteristic(BLECharacteristic &c); };
struct BLELocalDevice { int begin(); void poll(); bool connected(); BLEDevice central(); void setLocalName(const char*);
  void setAdvertisedService(BLEService&); void addService(BLEService&); int advertise(); };
extern BLELocalDevice BLE;
