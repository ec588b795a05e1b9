package config

import "github.com/spf13/viper"

// Keys lists every configuration key, for tests.
func Keys() []string {
	v := viper.New()
	setDefaults(v)
	return v.AllKeys()
}
