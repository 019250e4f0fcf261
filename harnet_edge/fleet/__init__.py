"""Results from many gateways through an MQTT broker: the publishing sink with its on-disk
store-and-forward queue, the topic layout, and the collector. Needs paho-mqtt (the mqtt extra)."""
