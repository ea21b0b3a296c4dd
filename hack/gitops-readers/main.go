// Command gitops-readers judges Kubernetes objects the way GitOps tools do:
// kstatus from sigs.k8s.io/cli-utils (what Flux, kpt and kubectl-based tools
// use to decide an applied object has converged), and optionally an Argo CD
// health script run in gopher-lua, the Lua VM Argo CD embeds.
//
// Usage: gitops-readers [-health-lua FILE] [FILE...]
//
// Objects are read from the files (or stdin): a JSON array of objects, or a
// JSON or YAML stream of objects. The output is one JSON array with one
// verdict per object, in input order. A per-object failure (not an object,
// kstatus refusing a field, the script raising an error) is reported in that
// verdict, not as an exit status, so one bad object does not hide the others.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	lua "github.com/yuin/gopher-lua"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type condition struct {
	Type    string `json:"type"`
	Status  string `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

type kstatusVerdict struct {
	Status     string      `json:"status"`
	Message    string      `json:"message"`
	Conditions []condition `json:"conditions"`
}

// health has the fields Argo CD reads from the table a health script returns.
type health struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

type verdict struct {
	Kstatus      *kstatusVerdict `json:"kstatus,omitempty"`
	KstatusError string          `json:"kstatusError,omitempty"`
	Health       *health         `json:"health,omitempty"`
	HealthError  string          `json:"healthError,omitempty"`
}

func main() {
	healthLua := flag.String("health-lua", "", "an Argo CD health script to run on every object")
	flag.Parse()
	if err := run(*healthLua, flag.Args(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gitops-readers:", err)
		os.Exit(1)
	}
}

func run(healthLua string, files []string, stdin io.Reader, stdout io.Writer) error {
	var script *lua.FunctionProto
	if healthLua != "" {
		var err error
		if script, err = compile(healthLua); err != nil {
			return err
		}
	}
	var objects []decoded
	if len(files) == 0 {
		read, err := readObjects(stdin)
		if err != nil {
			return fmt.Errorf("stdin: %w", err)
		}
		objects = read
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		read, err := readObjects(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		objects = append(objects, read...)
	}
	verdicts := make([]verdict, 0, len(objects))
	for _, obj := range objects {
		v := verdict{}
		if obj.err != nil {
			// Not an object kstatus could be given (e.g. no kind): say so for
			// this one and go on with the others.
			v.KstatusError = obj.err.Error()
			if script != nil {
				v.HealthError = obj.err.Error()
			}
			verdicts = append(verdicts, v)
			continue
		}
		if k, err := computeKstatus(obj.u); err != nil {
			v.KstatusError = err.Error()
		} else {
			v.Kstatus = k
		}
		if script != nil {
			if h, err := runHealth(script, obj.u.Object); err != nil {
				v.HealthError = err.Error()
			} else {
				v.Health = h
			}
		}
		verdicts = append(verdicts, v)
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(verdicts)
}

// readObjects decodes every document of a JSON or YAML stream into
// Unstructured the way client-go does (integers become int64, other numbers
// float64), so kstatus sees the types it would see from the apiserver. A JSON
// array is read as JSON: the stream decoder would take it for YAML, which
// turns 2.0 into 2 and so would hide a float where kstatus wants an integer.
func readObjects(r io.Reader) ([]decoded, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, err
		}
	} else {
		decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var doc json.RawMessage
			if err := decoder.Decode(&doc); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, err
			}
			if doc = bytes.TrimSpace(doc); len(doc) > 0 && string(doc) != "null" {
				raws = append(raws, doc)
			}
		}
	}
	out := make([]decoded, 0, len(raws))
	for i, raw := range raws {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			out = append(out, decoded{err: fmt.Errorf("object %d: %w", i+1, err)})
			continue
		}
		out = append(out, decoded{u: u})
	}
	return out, nil
}

// decoded is one input object, or why it is not one.
type decoded struct {
	u   *unstructured.Unstructured
	err error
}

func computeKstatus(u *unstructured.Unstructured) (*kstatusVerdict, error) {
	res, err := status.Compute(u)
	if err != nil {
		return nil, err
	}
	out := &kstatusVerdict{Status: res.Status.String(), Message: res.Message, Conditions: []condition{}}
	for _, c := range res.Conditions {
		out.Conditions = append(out.Conditions, condition{
			Type: string(c.Type), Status: string(c.Status), Reason: c.Reason, Message: c.Message,
		})
	}
	return out, nil
}
