// s3load: the S3 limits hookspool's benchmarks are ratios against, measured with
// MinIO's own client library (minio-go), not with hookspool's code.
//
//	s3load -endpoint HOST:PORT -bucket B -mode put -c 16 -seconds 10 -size 1700
//	s3load ... -mode delivery -c 16 -objects 2000
//
// put: c workers PutObject distinct keys of -size bytes for -seconds.
// delivery: -objects objects are put under a prefix first (not timed), then c
// workers each take one and make the four store requests of a delivery: GET it,
// HEAD done/KEY, PUT done/KEY, DELETE it.
// Prints one JSON line: ops, seconds, rate (ops/s), p50_ms, p99_ms.
// Credentials come from S3_ACCESS_KEY and S3_SECRET_KEY.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	endpoint := flag.String("endpoint", "", "HOST:PORT")
	bucket := flag.String("bucket", "", "bucket")
	mode := flag.String("mode", "put", "put or delivery")
	conc := flag.Int("c", 4, "concurrent requests")
	seconds := flag.Float64("seconds", 10, "put: how long")
	size := flag.Int("size", 1700, "object size")
	objects := flag.Int("objects", 2000, "delivery: objects to deliver")
	prefix := flag.String("prefix", fmt.Sprintf("s3load-%d", time.Now().UnixNano()), "key prefix")
	flag.Parse()

	client, err := minio.New(*endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(os.Getenv("S3_ACCESS_KEY"), os.Getenv("S3_SECRET_KEY"), ""),
		Secure: false,
	})
	if err != nil {
		fail(err)
	}
	body := bytes.Repeat([]byte("x"), *size)
	ctx := context.Background()
	put := func(key string) error {
		_, err := client.PutObject(ctx, *bucket, key, bytes.NewReader(body), int64(len(body)),
			minio.PutObjectOptions{ContentType: "application/json"})
		return err
	}

	var next int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	var failed atomic.Int64

	if *mode == "delivery" {
		// The backlog, put first at the same concurrency, not timed.
		for w := 0; w < *conc; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := atomic.AddInt64(&next, 1)
					if i > int64(*objects) {
						return
					}
					if err := put(fmt.Sprintf("%s/pending/%d", *prefix, i)); err != nil {
						fail(err)
					}
				}
			}()
		}
		wg.Wait()
		next = 0
	}

	start := time.Now()
	deadline := start.Add(time.Duration(*seconds * float64(time.Second)))
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				i := atomic.AddInt64(&next, 1)
				t0 := time.Now()
				if *mode == "put" {
					if t0.After(deadline) {
						break
					}
					if err := put(fmt.Sprintf("%s/%d", *prefix, i)); err != nil {
						failed.Add(1)
						continue
					}
				} else {
					if i > int64(*objects) {
						break
					}
					if err := deliver(ctx, client, *bucket, *prefix, i, body); err != nil {
						failed.Add(1)
						continue
					}
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	took := time.Since(start).Seconds()
	if failed.Load() > 0 {
		fail(fmt.Errorf("%d requests failed", failed.Load()))
	}
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	out := map[string]any{
		"ops":     len(lat),
		"seconds": took,
		"rate":    float64(len(lat)) / took,
		"p50_ms":  ms(pct(lat, 0.50)),
		"p99_ms":  ms(pct(lat, 0.99)),
	}
	enc, _ := json.Marshal(out)
	fmt.Println(string(enc))
}

// deliver makes the four store requests hookspool's drain makes per delivery.
func deliver(ctx context.Context, c *minio.Client, bucket, prefix string, i int64, body []byte) error {
	key := fmt.Sprintf("%s/pending/%d", prefix, i)
	done := fmt.Sprintf("%s/done/%d", prefix, i)
	obj, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return err
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil {
		return err
	}
	if _, err := c.StatObject(ctx, bucket, done, minio.StatObjectOptions{}); err == nil {
		return fmt.Errorf("%s exists already", done)
	}
	if _, err := c.PutObject(ctx, bucket, done, bytes.NewReader(got), int64(len(got)),
		minio.PutObjectOptions{ContentType: "application/json"}); err != nil {
		return err
	}
	return c.RemoveObject(ctx, bucket, key, minio.RemoveObjectOptions{})
}

func pct(l []time.Duration, p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[int(float64(len(l)-1)*p)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "s3load:", err)
	os.Exit(1)
}
