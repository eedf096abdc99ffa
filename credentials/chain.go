package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Chain asks its providers in order and returns the first credentials
// found. A provider that finds none (ErrNotFound) hands over to the next;
// any other error (STS refused, the instance role's keys unreadable) ends
// the search, since a configured source that fails must not be skipped
// silently. When none finds any, the error wraps ErrNotFound and lists what
// each provider tried.
type Chain []Provider

// Retrieve returns the first provider's credentials.
func (c Chain) Retrieve(ctx context.Context) (Credentials, error) {
	var tried []string // what each provider that found nothing says
	for _, p := range c {
		creds, err := p.Retrieve(ctx)
		if err == nil {
			return creds, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return Credentials{}, err
		}
		tried = append(tried, strings.TrimSuffix(err.Error(), ": "+ErrNotFound.Error()))
	}
	return Credentials{}, fmt.Errorf("%w (tried %s)", ErrNotFound, strings.Join(tried, "; "))
}

// String names the providers in order.
func (c Chain) String() string {
	names := make([]string, len(c))
	for i, p := range c {
		names[i] = fmt.Sprint(p)
	}
	return strings.Join(names, ", then ")
}
