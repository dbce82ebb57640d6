package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/torrenttx/ttx/dag"
	"github.com/torrenttx/ttx/proofs"
)

// maxResponse bounds a response body the Client reads.
const maxResponse = proofs.MaxSize + 1<<20

// Client talks to a node's API; cmd/ttx uses it. Its methods return an
// *Error for an error response, a *NotRunningError when nothing listens.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// NewClient returns a Client for the API at baseURL ("http://127.0.0.1:8347"
// or just "127.0.0.1:8347"). token is the cookie token, needed only for the
// spending calls (Send, Faucet, ImportProof); it may be empty otherwise.
func NewClient(baseURL, token string) *Client {
	if !strings.Contains(baseURL, "://") {
		baseURL = "http://" + baseURL
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: &http.Client{}}
}

// URL returns the API's base URL.
func (c *Client) URL() string { return c.base }

// Status calls GET /v1/status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	return get[Status](ctx, c, "/v1/status")
}

// Balance calls GET /v1/balance/{addr}.
func (c *Client) Balance(ctx context.Context, addr string) (*Balance, error) {
	return get[Balance](ctx, c, "/v1/balance/"+url.PathEscape(addr))
}

// History calls GET /v1/history/{addr}; limit 0 means the server's default.
func (c *Client) History(ctx context.Context, addr string, limit int) (*History, error) {
	return get[History](ctx, c, "/v1/history/"+url.PathEscape(addr)+limitQuery(limit))
}

// Tx calls GET /v1/tx/{id}.
func (c *Client) Tx(ctx context.Context, id dag.TxID) (*Tx, error) {
	return get[Tx](ctx, c, "/v1/tx/"+id.String())
}

// TxPeers calls GET /v1/tx/{id}/peers, asking the trusted peers if any are
// given ("host:port"), else the node's connected peers.
func (c *Client) TxPeers(ctx context.Context, id dag.TxID, trusted []string) (*TxPeers, error) {
	path := "/v1/tx/" + id.String() + "/peers"
	if len(trusted) > 0 {
		path += "?trusted=" + url.QueryEscape(strings.Join(trusted, ","))
	}
	return get[TxPeers](ctx, c, path)
}

// Peers calls GET /v1/peers.
func (c *Client) Peers(ctx context.Context) (*Peers, error) {
	return get[Peers](ctx, c, "/v1/peers")
}

// Send calls POST /v1/send (needs the cookie).
func (c *Client) Send(ctx context.Context, req SendRequest) (*SendResponse, error) {
	return post[SendResponse](ctx, c, "/v1/send", req)
}

// Submit calls POST /v1/tx with a signed tx.json (needs the cookie).
func (c *Client) Submit(ctx context.Context, raw []byte) (*SubmitResponse, error) {
	return request[SubmitResponse](ctx, c, http.MethodPost, "/v1/tx", "application/json", bytes.NewReader(raw))
}

// Faucet calls POST /v1/faucet (needs the cookie).
func (c *Client) Faucet(ctx context.Context, to string) (*SendResponse, error) {
	return post[SendResponse](ctx, c, "/v1/faucet", FaucetRequest{To: to})
}

// Proof calls GET /v1/proof/{id} and returns the .torrent bytes.
func (c *Client) Proof(ctx context.Context, id dag.TxID) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v1/proof/"+id.String(), "", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return readBody(resp, proofs.MaxSize)
}

// ImportProof calls POST /v1/proof with a proof file's bytes (needs the
// cookie).
func (c *Client) ImportProof(ctx context.Context, proof []byte) (*ImportResult, error) {
	return request[ImportResult](ctx, c, http.MethodPost, "/v1/proof", "application/x-bittorrent", bytes.NewReader(proof))
}

// DAG calls GET /v1/dag; limit 0 means the server's default.
func (c *Client) DAG(ctx context.Context, limit int) (*DAG, error) {
	return get[DAG](ctx, c, "/v1/dag"+limitQuery(limit))
}

// Address calls GET /v1/address.
func (c *Client) Address(ctx context.Context) (*Address, error) {
	return get[Address](ctx, c, "/v1/address")
}

func limitQuery(limit int) string {
	if limit <= 0 {
		return ""
	}
	return "?limit=" + strconv.Itoa(limit)
}

func get[T any](ctx context.Context, c *Client, path string) (*T, error) {
	return request[T](ctx, c, http.MethodGet, path, "", nil)
}

func post[T any](ctx context.Context, c *Client, path string, body any) (*T, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return request[T](ctx, c, http.MethodPost, path, "application/json", bytes.NewReader(b))
}

// request sends a request and decodes a JSON answer into a T.
func request[T any](ctx context.Context, c *Client, method, path, contentType string, body io.Reader) (*T, error) {
	resp, err := c.do(ctx, method, path, contentType, body)
	if err != nil {
		return nil, err
	}
	var v T
	if err := decodeResponse(resp, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// do sends a request and returns a 2xx response; any other status becomes
// an *Error.
func (c *Client) do(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, &NotRunningError{URL: c.base, Err: err}
		}
		return nil, fmt.Errorf("%s %s: %w", method, c.base+path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxJSONBody))
	var er ErrorResponse
	if json.Unmarshal(b, &er) != nil || er.Error == "" {
		er = ErrorResponse{Error: fmt.Sprintf("%s %s: %s", method, path, resp.Status), Code: CodeInternal}
	}
	return nil, &Error{Status: resp.StatusCode, Code: er.Code, Message: er.Error}
}

func readBody(resp *http.Response, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read response: over %d bytes", limit)
	}
	return b, nil
}

func decodeResponse(resp *http.Response, v any) error {
	defer resp.Body.Close()
	b, err := readBody(resp, maxResponse)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}
