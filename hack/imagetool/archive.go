package main

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The annotations of an OCI index entry that name the image: containerd's (the full reference,
// taken as it is) and the OCI one (the tag).
const (
	annotationImageName = "io.containerd.image.name"
	annotationRefName   = "org.opencontainers.image.ref.name"
)

// The tarball holds the image twice over, with the same blobs:
//
//   - as an OCI image layout (oci-layout, index.json, blobs/sha256/...): the manifest blob is
//     the image's manifest, byte for byte, so its digest is the image's digest as a registry
//     would serve it after a push. containerd imports this form when it is there, and
//     index.json names the image both by its tag and by its digest (repository@sha256:...), so
//     a pod may use either reference with imagePullPolicy IfNotPresent;
//   - as a `docker save` tarball (manifest.json, RepoTags), for `docker load` and for the
//     scripts that read the tags of a tarball.
//
// Entries are written in a fixed order with a fixed time, so the same image gives the same file.

// ociIndex and ociDescriptor are the parts of an OCI image index this tool writes and reads.
type ociIndex struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	Manifests     []ociDescriptor `json:"manifests"`
}

type ociDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *v1.Platform      `json:"platform,omitempty"`
}

// dockerManifestEntry is one image of a `docker save` manifest.json.
type dockerManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// referenceName is how containerd lists ref: Docker Hub's registry as docker.io, as its
// reference parser writes it.
func referenceName(ref name.Reference) string {
	registry := ref.Context().RegistryStr()
	if registry == name.DefaultRegistry {
		registry = "docker.io"
	}
	repo := registry + "/" + ref.Context().RepositoryStr()
	return repo + map[bool]string{true: "@", false: ":"}[isDigest(ref)] + ref.Identifier()
}

func isDigest(ref name.Reference) bool {
	_, ok := ref.(name.Digest)
	return ok
}

// digestReference is repository@digest of ref's repository, as containerd lists it.
func digestReference(ref name.Reference, digest v1.Hash) string {
	n := referenceName(ref)
	if isDigest(ref) {
		return n
	}
	return strings.TrimSuffix(n, ":"+ref.Identifier()) + "@" + digest.String()
}

// writeArchive writes img, tagged ref, as the tarball out (see above). It writes out.tmp and
// renames it, so that out is either the old file or the whole new one.
func writeArchive(out string, ref name.Reference, img v1.Image) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	err = writeArchiveTo(f, ref, img)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, out)
}

// archiveParts is what the tarball holds of an image.
type archiveParts struct {
	manifest, config   []byte
	digest, configName v1.Hash
	mediaType          types.MediaType
	platform           *v1.Platform
	layers             []v1.Layer
}

func partsOf(img v1.Image) (*archiveParts, error) {
	p := &archiveParts{}
	var err error
	if p.manifest, err = img.RawManifest(); err != nil {
		return nil, err
	}
	if p.digest, err = img.Digest(); err != nil {
		return nil, err
	}
	if p.config, err = img.RawConfigFile(); err != nil {
		return nil, err
	}
	if p.configName, err = img.ConfigName(); err != nil {
		return nil, err
	}
	if p.mediaType, err = img.MediaType(); err != nil {
		return nil, err
	}
	if p.layers, err = img.Layers(); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	p.platform = &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	return p, nil
}

// blobPath is where the tarball holds a blob.
func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// putFile writes one regular file into the tarball.
func putFile(tw *tar.Writer, path string, data []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: path, Mode: 0o644, Size: int64(len(data)),
		ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

func writeArchiveTo(w io.Writer, ref name.Reference, img v1.Image) error {
	p, err := partsOf(img)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	if err := putFile(tw, "oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	layerPaths, err := writeBlobs(tw, p)
	if err != nil {
		return err
	}
	if err := writeIndex(tw, ref, p); err != nil {
		return err
	}
	var repoTags []string
	if !isDigest(ref) {
		repoTags = []string{ref.Name()}
	}
	dockerJSON, err := json.Marshal([]dockerManifestEntry{
		{Config: blobPath(p.configName), RepoTags: repoTags, Layers: layerPaths},
	})
	if err != nil {
		return err
	}
	if err := putFile(tw, "manifest.json", dockerJSON); err != nil {
		return err
	}
	return tw.Close()
}

// writeBlobs writes the layers (compressed), the config and the manifest; it returns the
// layers' paths.
func writeBlobs(tw *tar.Writer, p *archiveParts) ([]string, error) {
	var layerPaths []string
	for _, l := range p.layers {
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		if err := putFile(tw, blobPath(d), data); err != nil {
			return nil, err
		}
		layerPaths = append(layerPaths, blobPath(d))
	}
	if err := putFile(tw, blobPath(p.configName), p.config); err != nil {
		return nil, err
	}
	return layerPaths, putFile(tw, blobPath(p.digest), p.manifest)
}

// writeIndex writes index.json: the manifest named by ref and, for a tag, by its digest too.
func writeIndex(tw *tar.Writer, ref name.Reference, p *archiveParts) error {
	entry := func(annotations map[string]string) ociDescriptor {
		return ociDescriptor{MediaType: string(p.mediaType), Digest: p.digest.String(), Size: int64(len(p.manifest)),
			Annotations: annotations, Platform: p.platform}
	}
	index := ociIndex{SchemaVersion: 2, MediaType: string(types.OCIImageIndex), Manifests: []ociDescriptor{
		entry(map[string]string{annotationImageName: referenceName(ref), annotationRefName: ref.Identifier()}),
	}}
	if !isDigest(ref) {
		byDigest := entry(map[string]string{annotationImageName: digestReference(ref, p.digest)})
		index.Manifests = append(index.Manifests, byDigest)
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return err
	}
	return putFile(tw, "index.json", indexJSON)
}

// archiveImage is what inspect reports of a tarball's OCI index: the names and the manifest
// digest of each entry, and the image ID (the config's digest).
type archiveImage struct {
	names  []string
	digest string
	id     string
}

// readArchiveIndex reads the OCI index of a tarball this tool wrote, with the config digest of
// every manifest it names; ok is false for a tarball with no OCI layout.
//
//nolint:gocyclo // one pass over the index, each step checked
func readArchiveIndex(path string) (images []archiveImage, ok bool, err error) {
	files, err := readTarFiles(path, func(name string) bool {
		return name == "index.json" || strings.HasPrefix(name, "blobs/")
	})
	if err != nil {
		return nil, false, err
	}
	raw, ok := files["index.json"]
	if !ok {
		return nil, false, nil
	}
	var idx ociIndex
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, true, fmt.Errorf("index.json: %w", err)
	}
	byDigest := map[string]int{}
	for _, m := range idx.Manifests {
		i, seen := byDigest[m.Digest]
		if !seen {
			h, err := v1.NewHash(m.Digest)
			if err != nil {
				return nil, true, err
			}
			data, ok := files["blobs/"+h.Algorithm+"/"+h.Hex]
			if !ok {
				return nil, true, fmt.Errorf("manifest %s is not in the tarball", m.Digest)
			}
			if got, _, _ := v1.SHA256(strings.NewReader(string(data))); got != h {
				return nil, true, fmt.Errorf("manifest %s has digest %s", m.Digest, got)
			}
			var mf v1.Manifest
			if err := json.Unmarshal(data, &mf); err != nil {
				return nil, true, fmt.Errorf("manifest %s: %w", m.Digest, err)
			}
			images = append(images, archiveImage{digest: m.Digest, id: mf.Config.Digest.String()})
			i = len(images) - 1
			byDigest[m.Digest] = i
		}
		if n := m.Annotations[annotationImageName]; n != "" {
			images[i].names = append(images[i].names, n)
		}
	}
	return images, true, nil
}

// readTarFiles returns the regular files of a tarball whose names want accepts.
func readTarFiles(path string, want func(string) bool) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		file := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(h.Name)), "./")
		if h.Typeflag != tar.TypeReg || !want(file) {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out[file] = data
	}
}
