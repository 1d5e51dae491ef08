package combinedstatus

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strconv"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	controlv1alpha1 "github.com/kubestellar/kubestellar/api/control/v1alpha1"
		"google.golang.org/protobuf/types/known/structpb"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

var jsonValueType = reflect.TypeFor[*structpb.Value]()

// toValue renders a CEL value as a CombinedStatus value: null, bool, number, string; a list as
// Array and a map as Object (JSON); a timestamp or duration as its string.
func toValue(v ref.Val) controlv1alpha1.Value {
	str := func(s string) controlv1alpha1.Value {
		return controlv1alpha1.Value{Type: controlv1alpha1.TypeString, String: &s}
	}
	num := func(s string) controlv1alpha1.Value {
		return controlv1alpha1.Value{Type: controlv1alpha1.TypeNumber, Number: &s}
	}
	switch x := v.(type) {
	case nil, types.Null:
		return controlv1alpha1.Value{Type: controlv1alpha1.TypeNull}
	case types.Bool:
		b := bool(x)
		return controlv1alpha1.Value{Type: controlv1alpha1.TypeBool, Bool: &b}
	case types.Int:
		return num(strconv.FormatInt(int64(x), 10))
	case types.Uint:
		return num(strconv.FormatUint(uint64(x), 10))
	case types.Double:
		return num(strconv.FormatFloat(float64(x), 'g', -1, 64))
	case types.String:
		return str(string(x))
	case types.Bytes:
		return str(base64.StdEncoding.EncodeToString(x))
	case types.Timestamp:
		return str(x.UTC().Format(time.RFC3339Nano))
	case types.Duration:
		return str(x.String())
	}
	t := controlv1alpha1.TypeObject
	if v.Type() == types.ListType {
		t = controlv1alpha1.TypeArray
	}
	native, err := v.ConvertToNative(jsonValueType)
	if err != nil {
		return controlv1alpha1.Value{Type: controlv1alpha1.TypeNull}
	}
	// encoding/json writes map keys sorted: the same value gives the same bytes.
	raw, err := json.Marshal(native.(*structpb.Value).AsInterface())
	if err != nil {
		return controlv1alpha1.Value{Type: controlv1alpha1.TypeNull}
	}
	j := &apiextensionsv1.JSON{Raw: raw}
	if t == controlv1alpha1.TypeArray {
		return controlv1alpha1.Value{Type: t, Array: j}
	}
	return controlv1alpha1.Value{Type: t, Object: j}
}
