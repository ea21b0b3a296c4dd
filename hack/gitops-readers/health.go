package main

// Running an Argo CD health script as Argo CD's util/lua package does (facts
// read from Argo CD's source; this is our own code): a fresh gopher-lua state
// per object with only the package, base and table libraries open (no string,
// io or full os library: a script that needs them fails here as it would in
// Argo CD), a one-second deadline, the object as the global table `obj`, and
// the returned table read as JSON into {status, message}.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Argo CD's health codes; any other status becomes Unknown.
var validHealth = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true,
	"Healthy": true, "Degraded": true, "Missing": true,
}

const invalidHealthMessage = "Lua returned an invalid health status"

func compile(path string) (*lua.FunctionProto, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	chunk, err := parse.Parse(strings.NewReader(string(src)), path)
	if err != nil {
		return nil, err
	}
	return lua.Compile(chunk, path)
}

func runHealth(script *lua.FunctionProto, obj map[string]any) (*health, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		l.Push(l.NewFunction(lib.open))
		l.Push(lua.LString(lib.name))
		l.Call(1, 0)
	}
	// Argo CD's "safe" os library offers only time and date; time is enough
	// for a health script that compares timestamps, date is not offered here.
	osTable := l.NewTable()
	osTable.RawSetString("time", l.NewFunction(func(l *lua.LState) int {
		l.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}))
	l.SetGlobal(lua.OsLibName, osTable)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj))

	l.Push(l.NewFunctionFromProto(script))
	if err := l.PCall(0, lua.MultRet, nil); err != nil {
		return nil, err
	}
	returned := l.Get(-1)
	switch returned.Type() {
	case lua.LTNil:
		return &health{}, nil
	case lua.LTTable:
	default:
		return nil, fmt.Errorf("expect table output from Lua script, not %s", returned.Type())
	}
	value, err := fromLua(returned, 0)
	if err != nil {
		return nil, err
	}
	fields, isMap := value.(map[string]any)
	if !isMap {
		// An empty table reads as an empty list: Argo CD takes it as no health.
		return &health{}, nil
	}
	encoded, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	h := &health{}
	if err := json.Unmarshal(encoded, h); err != nil {
		return nil, err
	}
	if !validHealth[h.Status] {
		return &health{Status: "Unknown", Message: invalidHealthMessage}, nil
	}
	return h, nil
}

// toLua converts a decoded object the way Argo CD hands it to Lua: numbers
// (int64 from the apiserver's JSON, or float64) become Lua numbers, lists
// become sequences, maps become tables, null and anything else become nil.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case json.Number:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetH(lua.LString(key), toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

// fromLua reads a returned value back as JSON data: a table with a sequence
// part is a list, any other table an object with string keys.
func fromLua(value lua.LValue, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("the returned table nests too deeply (a cycle?)")
	}
	switch v := value.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("the returned table holds a number JSON cannot carry")
		}
		return f, nil
	case *lua.LTable:
		if v.MaxN() > 0 {
			list := make([]any, 0, v.MaxN())
			for i := 1; i <= v.MaxN(); i++ {
				item, err := fromLua(v.RawGetInt(i), depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, item)
			}
			return list, nil
		}
		fields := map[string]any{}
		var failure error
		v.ForEach(func(key, item lua.LValue) {
			if failure != nil {
				return
			}
			name, ok := key.(lua.LString)
			if !ok {
				failure = fmt.Errorf("the returned table has a %s key", key.Type())
				return
			}
			converted, err := fromLua(item, depth+1)
			if err != nil {
				failure = err
				return
			}
			fields[string(name)] = converted
		})
		if failure != nil {
			return nil, failure
		}
		if len(fields) == 0 {
			return []any{}, nil
		}
		return fields, nil
	}
	return nil, fmt.Errorf("the returned table holds a %s", value.Type())
}
