package eventpush

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/vercel-partner/partner-server/internal/installations"
)

// takeBatch is how many feed events one transaction takes.
const takeBatch = 200

// wireEvent is an event as the feed shows it, cursor included, so a
// receiver can handle pushed and pulled events alike.
type wireEvent struct {
	Cursor string `json:"cursor"`
	installations.Event
}

// takeLoop follows the feed until ctx ends.
func (s *Service) takeLoop(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.take(ctx)
		switch {
		case errors.Is(err, installations.ErrPushCursorMoved):
			continue // another replica took them: read on from its cursor
		case err != nil && ctx.Err() == nil:
			s.Log.Error("take feed events for the push: will try again", "err", err)
		case n > 0:
			s.Wake()
			if n == takeBatch {
				continue
			}
		}
		s.sleep(ctx, nil)
	}
}

// take records the events after the push cursor as pushes and moves the
// cursor past them, in one transaction; it returns how many it took.
func (s *Service) take(ctx context.Context) (int, error) {
	from, err := s.Store.PushCursor(ctx)
	if err != nil {
		return 0, err
	}
	evs, err := s.Feed.EventsAfter(ctx, from, takeBatch)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	now := s.now()
	ps := make([]installations.Push, len(evs))
	for i, e := range evs {
		id := strconv.FormatInt(e.ID, 10)
		body, err := json.Marshal(wireEvent{Cursor: id, Event: e})
		if err != nil {
			return 0, fmt.Errorf("encode event %s: %w", id, err)
		}
		ps[i] = installations.Push{ID: IDPrefix + id, InstallationID: e.InstallationID, EventID: id,
			Body: string(body), CreatedAt: now}
	}
	return len(evs), s.Store.TakePushes(ctx, from, evs[len(evs)-1].ID, ps)
}
