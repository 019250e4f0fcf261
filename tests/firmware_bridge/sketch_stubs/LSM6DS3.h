#pragma once
#include <stdint.h>
#define I2C_MODE 0
struct LSM6DS3Settings { uint16_t accelRange; float accelSampleRate; };
struct LSM6DS3 { LSM6DS3(int mode, uint8_t addr); LSM6DS3Settings settings; int begin(); float readFloatAccelX(); float readFloatAccelY(); float readFloatAccelZ(); };
