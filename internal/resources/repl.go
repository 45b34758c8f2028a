package resources

import (
	"context"

	"github.com/vercel-partner/partner-server/internal/apperr"
	"github.com/vercel-partner/partner-server/internal/provisioning"
)

// MaxREPLInput bounds a REPL input (16 KB).
const MaxREPLInput = 16 << 10

// REPL answers what Vercel's store page types into a resource's REPL. In
// hook mode the input goes to the partner's hook, whose blocks are checked
// before they are passed on; a hook that fails, or answers blocks that
// break the schema, gives one red paragraph saying so and nothing of its
// answer. In feed mode the REPL is not available: one paragraph says so.
// readOnly asks the hook to refuse anything that changes state.
func (s *Service) REPL(ctx context.Context, installationID, resourceID, input string, readOnly bool) ([]provisioning.Block, error) {
	if len(input) > MaxREPLInput {
		return nil, apperr.InvalidFields("Input has failed validation", apperr.Field{Key: "input", Message: "at most 16 KB"})
	}
	if _, err := s.liveResource(ctx, installationID, resourceID); err != nil {
		return nil, err
	}
	if s.Hook == nil {
		return []provisioning.Block{provisioning.Paragraph(provisioning.Text{
			Text: "The REPL is not available for this resource."})}, nil
	}
	blocks, err := s.Hook.REPL(ctx, provisioning.REPLRequest{InstallationID: installationID, ResourceID: resourceID,
		Input: input, ReadOnly: readOnly})
	if err != nil {
		s.Log.WarnContext(ctx, "REPL hook failed", "installation_id", installationID, "resource_id", resourceID, "err", err)
		return []provisioning.Block{provisioning.Paragraph(provisioning.Text{Color: "red",
			Text: "The provider could not run this input. Please try again in a few minutes."})}, nil
	}
	return blocks, nil
}
