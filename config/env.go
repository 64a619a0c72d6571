package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// EnvPrefix starts every environment variable that overrides a key.
const EnvPrefix = "LATCHKEY_"

// EnvConfig is the environment variable the latchkey command reads for the
// configuration file path (like --config). It is not a key: Load ignores it.
const EnvConfig = "LATCHKEY_CONFIG"

// EnvName returns the environment variable that overrides the dotted key:
// EnvPrefix followed by the key in upper case with "." and "-" replaced by
// "_". EnvName("applications.secretsMax") is
// "LATCHKEY_APPLICATIONS_SECRETSMAX".
func EnvName(key string) string {
	return EnvPrefix + strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToUpper(key))
}

// Key describes one leaf configuration key.
type Key struct {
	// Name is the dotted YAML key, e.g. "applications.secretsMax".
	Name string
	// Env is the overriding environment variable, e.g.
	// "LATCHKEY_APPLICATIONS_SECRETSMAX".
	Env string
	// Type is "string", "int", "bool" or "duration".
	Type string
	// Default is the default value as it would be written in the
	// environment ("" for empty strings).
	Default string
}

// Keys returns every leaf key in struct order, with its environment
// variable, type and default.
func Keys() []Key {
	def := reflect.ValueOf(Default()).Elem()
	ls := leaves()
	keys := make([]Key, len(ls))
	for i, l := range ls {
		keys[i] = Key{Name: l.name, Env: l.env, Type: l.typ, Default: format(def.FieldByIndex(l.index))}
	}
	return keys
}

type leaf struct {
	name, env, typ string
	index          []int
}

var leaves = sync.OnceValue(func() []leaf {
	var out []leaf
	collect(configType, "", nil, &out)
	return out
})

func collect(t reflect.Type, prefix string, index []int, out *[]leaf) {
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		key := join(prefix, name)
		idx := append(append([]int(nil), index...), i)
		var typ string
		switch {
		case f.Type == durationType:
			typ = "duration"
		case f.Type.Kind() == reflect.Struct:
			collect(f.Type, key, idx, out)
			continue
		case f.Type.Kind() == reflect.String:
			typ = "string"
		case f.Type.Kind() == reflect.Int:
			typ = "int"
		case f.Type.Kind() == reflect.Bool:
			typ = "bool"
		default:
			panic(fmt.Sprintf("config: %s: unsupported field type %s", key, f.Type))
		}
		*out = append(*out, leaf{name: key, env: EnvName(key), typ: typ, index: idx})
	}
}

func format(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return v.Interface().(Duration).String()
}

// applyEnv sets every key whose environment variable appears in environ.
// Keys are visited in struct order, so the first error is deterministic.
func applyEnv(c *Config, environ []string) error {
	values := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvPrefix) || k == EnvConfig {
			continue
		}
		values[k] = v // the last occurrence wins
	}
	if len(values) == 0 {
		return nil
	}
	root := reflect.ValueOf(c).Elem()
	for _, l := range leaves() {
		raw, ok := values[l.env]
		if !ok {
			continue
		}
		field := root.FieldByIndex(l.index)
		bad := func(want string) error {
			return &Error{Key: l.name, Problem: fmt.Sprintf("environment variable %s: must be %s (got %q)", l.env, want, raw)}
		}
		s := strings.TrimSpace(raw)
		switch l.typ {
		case "string":
			field.SetString(raw)
		case "int":
			n, err := strconv.Atoi(s)
			if err != nil {
				return bad("an integer")
			}
			field.SetInt(int64(n))
		case "bool":
			b, err := strconv.ParseBool(s)
			if err != nil {
				return bad("true or false")
			}
			field.SetBool(b)
		case "duration":
			d, err := parseDuration(s)
			if err != nil {
				return bad(`a duration such as "15s" or "12h"`)
			}
			field.Set(reflect.ValueOf(Duration{d}))
		}
	}
	return nil
}
